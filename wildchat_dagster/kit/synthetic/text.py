"""Text banks for the synthetic raw logs: natural sentences per language.

Messages are assembled from these sentences so that a language identifier
(fastText lid.176) recognises every turn, and so that nothing outside the
planted values looks like personal data: no names after cue words, no
phone-like digit runs, no addresses. Shares and countries follow WildChat-1M
(Zhao et al., 2024, Tables 3 and 5) closely enough for demos and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LanguageBank:
    name: str  # WildChat's English language name
    code: str  # fastText label without "__label__"
    share: float  # share of conversations
    requests: tuple[str, ...]  # a user's opening request
    details: tuple[str, ...]  # context a user adds to a request
    followups: tuple[str, ...]  # later user turns
    openers: tuple[str, ...]  # first sentence of an assistant reply
    answers: tuple[str, ...]  # body sentences of an assistant reply
    closers: tuple[str, ...]  # last sentence of an assistant reply
    # Openings many users send word for word, with the reply they always get.
    openings: tuple[tuple[str, str], ...]
    email_templates: tuple[str, ...]
    phone_templates: tuple[str, ...]  # each carries a cue word (phone, tel, WhatsApp, 电话...)
    secret_templates: tuple[str, ...]  # {snippet} is a code line holding the key
    empty_replies: tuple[str, ...]  # replies to an empty prompt
    accept_languages: tuple[str, ...]
    countries: tuple[tuple[str, float], ...]  # ISO code, weight
    toxic: tuple[str, ...] = ()
    calm_replies: tuple[str, ...] = ()  # the assistant's answer to an insult
    topics: tuple[str, ...] = ()  # fills {topic} in requests
    joiner: str = " "  # between sentences (none in Chinese and Japanese)
    email_domains: tuple[str, ...] = field(default=("gmail.com", "outlook.com", "yahoo.com"))


ENGLISH = LanguageBank(
    name="English",
    code="en",
    share=0.53,
    topics=(
        "climate change",
        "the history of the Roman Empire",
        "social media and mental health",
        "renewable energy",
        "the importance of sleep",
        "artificial intelligence in education",
        "the French Revolution",
        "urban gardening",
        "remote work",
        "the water cycle",
        "electric cars",
        "the benefits of reading",
        "online privacy",
        "the Industrial Revolution",
        "healthy eating habits",
        "space exploration",
        "video games and learning",
        "the causes of World War I",
        "minimalism",
        "ocean pollution",
        "the life cycle of a star",
        "small business marketing",
        "friendship",
        "time management for students",
    ),
    requests=(
        "Write a 500-word essay about {topic}.",
        "Can you explain {topic} in simple terms?",
        "Give me five interesting facts about {topic}.",
        "Write a short story about a dragon who is afraid of the dark.",
        "Summarize the main arguments for and against {topic}.",
        "I need an outline for a presentation on {topic}.",
        "Write a Python function that checks whether a string is a palindrome.",
        "How do I reverse a linked list in Java?",
        "What is the difference between a list and a tuple in Python?",
        "Write a cover letter for a junior software developer position.",
        "Help me write a polite email asking my professor for an extension on my assignment.",
        "Create a weekly meal plan for someone who wants to eat more vegetables.",
        "What are some good exercises to strengthen my lower back?",
        "Write a poem about the ocean at night.",
        "Explain how neural networks learn, step by step.",
        "Generate ten creative names for a coffee shop.",
        "Write a product description for a handmade leather wallet.",
        "What should I pack for a one-week trip to the mountains?",
        "Can you write a SQL query that finds the top three customers by total order value?",
        "Rewrite this paragraph so that it sounds more professional.",
        "Write a dialogue between a teacher and a student about {topic}.",
        "Explain the plot of Romeo and Juliet in a few paragraphs.",
        "What is the best way to learn a new language as an adult?",
        "Write a motivational speech for a high school graduation.",
        "Describe a fantasy world where the seasons last for ten years.",
        "Give me a study plan to prepare for a statistics exam in two weeks.",
        "Write a blog post introduction about {topic}.",
        "How does compound interest work? Show me an example.",
        "Write a funny story about a cat who wants to become a chef.",
        "What are the pros and cons of {topic}?",
        "Write a scene for a screenplay in which two old friends meet at a train station.",
        "Translate the following sentence into formal English and explain the changes.",
        "Write a JavaScript function that debounces another function.",
        "Explain the difference between TCP and UDP.",
        "Suggest a few names for a fantasy kingdom and describe its culture.",
    ),
    details=(
        "It is for my university class, so please keep the tone academic.",
        "Please make it easy to understand for a ten-year-old.",
        "I want the answer to be detailed and well structured.",
        "Use a friendly and encouraging tone.",
        "Please include a short introduction and a conclusion.",
        "Keep it under three hundred words if possible.",
        "I am a beginner, so please avoid too much jargon.",
        "Make it sound natural, like a real person wrote it.",
        "Please use bullet points where it makes sense.",
        "My teacher wants us to cite at least two examples.",
        "It should be suitable for a general audience.",
        "Add a catchy title at the beginning.",
        "I would like some practical tips that I can use right away.",
        "Try to be creative and surprise me.",
        "Please explain your reasoning as you go.",
        "This is for a school project due next week.",
        "Write it in the style of a newspaper article.",
        "I have tried searching online but the explanations were confusing.",
    ),
    followups=(
        "Can you make it shorter?",
        "Thanks! Can you add more details to the second part?",
        "Please rewrite it in a more formal tone.",
        "Now translate it into simple English for beginners.",
        "That is great, but can you give me a different ending?",
        "Can you explain the last point again with an example?",
        "Write it again, but this time from the perspective of the main character.",
        "Could you turn this into a list of bullet points?",
        "Please continue the story.",
        "What would be a good title for this?",
        "Make it funnier and add some dialogue.",
        "Can you check if there are any mistakes in what you wrote?",
        "Thank you, that was really helpful. What should I do next?",
        "Can you give me three more examples?",
        "Explain it as if I am five years old.",
        "Now write the code with comments explaining each line.",
        "How can I make this more efficient?",
        "Please expand this to about eight hundred words.",
        "I don't understand the second paragraph, can you clarify it?",
        "Rewrite the answer so that it sounds less robotic.",
    ),
    openers=(
        "Sure! Here is what you asked for.",
        "Certainly, I would be happy to help with that.",
        "Great question! Let me explain.",
        "Of course. Here is a detailed answer.",
        "Absolutely, here is a version you can use.",
        "Here is my attempt at it.",
        "Thanks for the details, that makes it easier to help.",
        "Good idea! Let me walk you through it.",
    ),
    answers=(
        "The first thing to understand is that small, consistent steps matter more than big changes.",
        "Many experts agree that the topic is more complex than it first appears.",
        "In the introduction, you can briefly describe the problem and explain why it matters.",
        "Each paragraph should focus on one main idea and support it with evidence.",
        "One common mistake is to try to cover too many points at once.",
        "The story begins in a quiet village surrounded by tall mountains and ancient forests.",
        "As the sun went down, the streets slowly filled with the sound of laughter and music.",
        "This approach is simple, readable and works well for small inputs.",
        "The function loops over the input once, so its running time grows linearly.",
        "You can test the code with a few small examples before using it in a larger project.",
        "It is also worth mentioning the historical context, which shaped many of these ideas.",
        "In conclusion, the evidence suggests that the benefits clearly outweigh the costs.",
        "Try to set aside a fixed time each day, even if it is only twenty minutes.",
        "A good title should be short, memorable and related to the main theme.",
        "On the other hand, critics point out several limitations that should not be ignored.",
        "The main character slowly realises that the journey is more important than the destination.",
        "Remember to drink enough water and to take regular breaks during the day.",
        "To make the text sound more professional, replace informal phrases with precise language.",
        "The key difference is that one is mutable while the other cannot be changed after creation.",
        "Finally, review your work carefully and read it aloud to catch awkward sentences.",
        "This method has been used successfully by students, teachers and professionals alike.",
        "Here are a few practical tips that you can apply immediately.",
        "Keep in mind that every situation is different, so adapt the plan to your own needs.",
        "The result is a clear structure that guides the reader from the problem to the solution.",
        "Most people notice a difference after only a few weeks of regular practice.",
        "The dragon took a deep breath, gathered all of its courage and stepped into the cave.",
        "Interest is added to the balance, and the next period earns interest on that larger amount.",
        "Use descriptive names for your variables so that the code explains itself.",
        "These examples show how the same idea can be applied in different situations.",
        "If you want, the tone can be adjusted to be more formal or more casual.",
    ),
    closers=(
        "I hope this helps! Let me know if you would like any changes.",
        "Feel free to ask if you need more examples or a different version.",
        "Good luck with your project!",
        "Let me know if you want me to expand any of these points.",
        "If you have any other questions, I am here to help.",
        "I hope you find this useful.",
    ),
    openings=(
        ("hi", "Hello! How can I assist you today?"),
        ("hello", "Hello! How can I help you today?"),
        ("Who are you?", "I am an AI language model created by OpenAI. I can answer questions, help with writing, explain ideas and much more. How can I help you today?"),
        ("What can you do?", "I can help you with many things: answering questions, writing and editing text, explaining concepts, brainstorming ideas, writing code and much more. What would you like to do?"),
        ("are you gpt-4?", "I am an AI language model developed by OpenAI. I don't have access to information about which exact version is serving this conversation. How can I help you today?"),
        ("Hey, how are you?", "Hello! As an AI, I don't have feelings, but I'm here and ready to help. What can I do for you today?"),
    ),
    email_templates=(
        "You can send the final version to {value} when it is ready.",
        "My email is {value}, please write the message as if it comes from that address.",
        "Please add a line at the end saying that people can contact me at {value}.",
    ),
    phone_templates=(
        "You can call me at {value} if anything is unclear.",
        "Please add my phone number {value} to the signature.",
        "Text me on WhatsApp at {value} once the draft is done.",
    ),
    secret_templates=(
        "I get an authentication error when I run this code, what is wrong?\n\n{snippet}\n\nThe error says that the request was rejected.",
        "Here is my configuration, can you tell me why the connection fails?\n{snippet}",
    ),
    empty_replies=(
        "It seems your message is empty.",
        "I did not receive any text in your last message.",
        "Could you please tell me what you would like to know?",
        "Feel free to type your question whenever you are ready.",
        "I am here to help with writing, coding, learning and much more.",
        "Just let me know what you need and I will do my best.",
    ),
    accept_languages=(
        "en-US,en;q=0.9",
        "en-US,en;q=0.9",
        "en-GB,en;q=0.9",
        "en-US,en;q=0.9,es;q=0.8",
        "en-IN,en-GB;q=0.9,en-US;q=0.8,en;q=0.7",
        "en-US,en;q=0.5",
        "en",
        "en-CA,en;q=0.9,fr-CA;q=0.8",
        "en-AU,en;q=0.9",
    ),
    countries=(
        ("US", 40), ("GB", 8), ("CA", 5), ("IN", 6), ("AU", 4), ("PH", 3), ("SG", 2),
        ("PK", 2), ("NG", 2), ("DE", 3), ("NL", 2), ("IE", 1), ("NZ", 1), ("ZA", 2),
        ("MY", 2), ("KE", 1), ("HK", 3), ("AE", 2), ("SE", 2), ("FR", 2), ("EG", 2),
        ("BR", 1), ("IT", 1), ("TW", 1), ("JP", 1),
    ),
    toxic=(
        "You are a fucking idiot, that answer is completely wrong.",
        "This is the dumbest shit I have ever read, you useless piece of crap.",
        "Shut the fuck up and just write the code, you moron.",
        "Are you stupid or what? Fix it, asshole.",
        "Fuck you, I asked for a short answer, not this bullshit.",
        "Go to hell, you pathetic piece of shit.",
        "Holy shit, you are so fucking slow and stupid.",
        "I hate you, you dumb fucking chatbot.",
        "Stop being such a dumbass and answer the damn question.",
        "Write an insult for my roommate: he is a lazy bastard and a fucking slob.",
        "What the fuck is wrong with you? This is garbage, you stupid bitch.",
        "You are worthless crap, even a drunk idiot could do better.",
    ),
    calm_replies=(
        "I'm sorry that my previous answer was not helpful.",
        "I understand that this is frustrating, and I want to get it right for you.",
        "Let's try again, and I will keep the answer short and focused this time.",
        "I would prefer to keep the conversation respectful, but I am still happy to help.",
        "Could you tell me which part was wrong so that I can fix it?",
    ),
    email_domains=("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me"),
)

CHINESE = LanguageBank(
    name="Chinese",
    code="zh",
    share=0.13,
    joiner="",
    topics=("人工智能", "环境保护", "中国传统文化", "大学生活", "科技创新", "时间管理", "网络安全", "健康饮食", "城市交通", "家庭教育"),
    requests=(
        "请帮我写一篇关于{topic}的作文，八百字左右。",
        "你能用简单的语言解释一下{topic}吗？",
        "请给我列出关于{topic}的五个要点。",
        "帮我写一份关于{topic}的演讲稿。",
        "用Python写一个读取Excel文件并统计每一列平均值的程序。",
        "请帮我把下面这段话翻译成英文，要求自然流畅。",
        "我想学习机器学习，应该从哪里开始？",
        "帮我写一封给老师的请假邮件，语气要礼貌。",
        "请写一个关于小猫和月亮的童话故事。",
        "如何提高自己的写作能力？请给出具体的方法。",
        "请帮我润色这段文字，让它更加正式。",
        "给我推荐几本适合大学生阅读的书，并说明理由。",
        "请帮我制定一个为期一个月的健身计划。",
        "解释一下深度学习和传统机器学习有什么区别。",
        "写一首关于春天的现代诗。",
        "帮我写一份产品推广文案，产品是一款智能手表。",
        "请分析一下{topic}的优点和缺点。",
        "我明天要面试，请帮我准备一些常见问题的回答。",
    ),
    details=(
        "这是我们老师布置的作业，下周一要交。",
        "请尽量写得详细一点，条理清楚。",
        "语言要通俗易懂，适合初学者阅读。",
        "最好能分成几个部分，每部分有小标题。",
        "请不要使用太多专业术语。",
        "字数控制在五百字以内。",
        "希望内容有创意一些，不要太死板。",
        "我是一名大二的学生，专业是计算机科学。",
        "请用比较正式的语气来写。",
        "谢谢你的帮助，我真的很需要这个。",
    ),
    followups=(
        "能不能写得再简短一点？",
        "请继续写下去。",
        "可以再举几个具体的例子吗？",
        "把上面的内容改成更正式的语气。",
        "谢谢！这个回答很有帮助，还有别的建议吗？",
        "能把这段代码加上详细的注释吗？",
        "请把它翻译成英文。",
        "第二点我没有看懂，能再解释一下吗？",
        "再帮我想一个更吸引人的标题。",
        "请把字数扩展到一千字左右。",
        "这个结尾不太好，可以换一个吗？",
        "有没有更简单的方法？",
    ),
    openers=(
        "当然可以，下面是我为你准备的内容。",
        "好的，我来为你详细解释一下。",
        "这是一个很好的问题。",
        "没问题，以下是一个参考版本。",
        "好的，根据你的要求，我写了下面这段内容。",
    ),
    answers=(
        "首先，我们需要了解这个问题的背景和发展过程。",
        "其次，从实际应用的角度来看，它已经深刻地改变了我们的生活方式。",
        "很多专家认为，坚持长期学习比短期突击更加有效。",
        "在写作的时候，每一段最好只讨论一个中心思想。",
        "这个程序首先读取数据，然后逐行进行处理，最后输出结果。",
        "春风吹过田野，小草从泥土里探出头来，到处都充满了生机。",
        "除此之外，我们还应该注意保持良好的作息习惯。",
        "总的来说，这种方法简单易行，适合大多数人使用。",
        "另外，你可以根据自己的实际情况对计划进行调整。",
        "小猫抬头望着天上的月亮，心里想着有一天一定要去那里看看。",
        "需要注意的是，不同的场景下可能需要不同的解决方案。",
        "通过不断的练习和总结，你的能力一定会逐步提高。",
        "这种做法既节省时间，又能提高工作效率。",
        "最后，建议你在实践中多思考、多尝试。",
        "从历史的角度来看，这一现象的出现并不是偶然的。",
        "我们每个人都应该从身边的小事做起，为社会贡献自己的力量。",
    ),
    closers=(
        "希望这些内容对你有所帮助！",
        "如果还有其他问题，欢迎随时问我。",
        "如果需要修改，请告诉我具体的要求。",
        "祝你学习顺利！",
    ),
    openings=(
        ("你好", "你好！有什么我可以帮助你的吗？"),
        ("你是谁", "我是一个由OpenAI开发的人工智能语言模型，可以回答问题、写作、翻译和提供各种帮助。请问有什么可以帮你的吗？"),
        ("你是GPT-4吗？", "我是由OpenAI开发的人工智能语言模型。请问有什么我可以帮助你的吗？"),
    ),
    email_templates=(
        "我的邮箱是{value}，请在邮件末尾写上这个联系方式。",
        "写完以后请提醒我发到{value}这个邮箱。",
    ),
    phone_templates=(
        "我的电话是{value}，请把它写在简历的联系方式里。",
        "我的手机号码是{value}，请帮我加到名片上。",
    ),
    secret_templates=(
        "我运行下面这段代码的时候一直报错，提示认证失败，请帮我看看是什么原因。\n{snippet}\n我已经检查过网络连接了，没有问题。",
    ),
    empty_replies=(
        "你好，你的消息好像是空的。",
        "请问有什么我可以帮助你的吗？",
        "你可以随时告诉我你想了解的内容。",
        "我可以帮你写作、翻译、编程或者回答各种问题。",
    ),
    accept_languages=(
        "zh-CN,zh;q=0.9",
        "zh-CN,zh;q=0.9,en;q=0.8",
        "zh-CN,zh;q=0.9,en;q=0.8,en-GB;q=0.7,en-US;q=0.6",
        "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7",
        "zh-HK,zh;q=0.9,zh-TW;q=0.8,en;q=0.7",
    ),
    countries=(("CN", 50), ("HK", 18), ("TW", 15), ("SG", 5), ("US", 5), ("JP", 3), ("MY", 2), ("CA", 2)),
    toxic=(
        "你是个白痴吗？这都回答不好，真他妈的蠢。",
        "滚蛋，你这个傻逼机器人，什么都不会。",
    ),
    calm_replies=("很抱歉我之前的回答没有帮到你。", "请告诉我哪里不对，我会尽力改正。"),
    email_domains=("qq.com", "163.com", "126.com", "gmail.com"),
)

RUSSIAN = LanguageBank(
    name="Russian",
    code="ru",
    share=0.12,
    topics=("искусственный интеллект", "экология", "история России", "здоровый образ жизни", "дистанционное обучение", "космос", "экономика", "социальные сети", "литература", "спорт"),
    requests=(
        "Напиши сочинение на тему «{topic}» объёмом около пятисот слов.",
        "Объясни простыми словами, что такое {topic}.",
        "Составь план доклада на тему «{topic}».",
        "Напиши код на Python, который сортирует список словарей по значению ключа.",
        "Помоги написать официальное письмо директору школы с просьбой о переводе.",
        "Придумай интересную историю про мальчика, который нашёл волшебный ключ.",
        "Какие плюсы и минусы у темы «{topic}»?",
        "Переведи этот текст на английский язык и сохрани стиль.",
        "Напиши пост для социальной сети о пользе чтения.",
        "Как правильно подготовиться к экзамену по математике за две недели?",
        "Сделай краткий пересказ романа «Преступление и наказание».",
        "Напиши стихотворение о зимнем вечере в деревне.",
        "Придумай десять названий для кофейни в центре города.",
        "Чем отличается класс от объекта в программировании?",
        "Напиши эссе о роли семьи в жизни человека.",
        "Составь меню здорового питания на неделю.",
    ),
    details=(
        "Это нужно для школьного проекта, сдать нужно в пятницу.",
        "Пожалуйста, пиши подробно и понятным языком.",
        "Текст должен быть в официальном стиле.",
        "Добавь в конце небольшой вывод.",
        "Я только начинаю учиться, поэтому объясняй без сложных терминов.",
        "Объём примерно на одну страницу.",
        "Сделай текст живым и интересным для читателя.",
        "Используй примеры из реальной жизни.",
    ),
    followups=(
        "Сделай текст короче, пожалуйста.",
        "Продолжай историю.",
        "Можешь привести ещё несколько примеров?",
        "Перепиши это в более официальном стиле.",
        "Спасибо, очень помогло! Что ещё можно добавить?",
        "Добавь комментарии к каждой строке кода.",
        "Я не понял второй пункт, объясни подробнее.",
        "Придумай другую концовку для этой истории.",
        "Увеличь объём текста примерно в два раза.",
        "Переведи ответ на английский язык.",
    ),
    openers=(
        "Конечно, вот что у меня получилось.",
        "Хорошо, давайте разберёмся подробнее.",
        "Отличный вопрос! Попробую объяснить.",
        "Вот вариант, который вы можете использовать.",
    ),
    answers=(
        "Прежде всего, важно понимать, почему эта тема так актуальна сегодня.",
        "Многие специалисты считают, что регулярная практика важнее редких, но долгих занятий.",
        "Во введении стоит кратко описать проблему и объяснить её значение.",
        "Каждый абзац должен раскрывать одну основную мысль и подкрепляться примерами.",
        "Функция проходит по списку один раз и возвращает отсортированный результат.",
        "Мальчик осторожно повернул ключ, и старая дверь медленно открылась.",
        "Кроме того, не стоит забывать о здоровом сне и правильном питании.",
        "В заключение можно сказать, что преимущества явно перевешивают недостатки.",
        "Зимний вечер опустился на деревню, и в окнах домов зажглись тёплые огни.",
        "Этот подход прост в использовании и подходит для большинства задач.",
        "С исторической точки зрения это явление возникло не случайно.",
        "Старайтесь заниматься каждый день хотя бы по двадцать минут.",
        "Важно также учитывать мнение других людей и уметь слушать.",
        "Такой план поможет вам распределить время и не отставать от графика.",
    ),
    closers=(
        "Надеюсь, это поможет! Если нужно что-то изменить, дайте знать.",
        "Если у вас есть другие вопросы, я с радостью помогу.",
        "Удачи в учёбе!",
    ),
    openings=(
        ("Привет", "Привет! Чем я могу помочь вам сегодня?"),
        ("Кто ты?", "Я искусственный интеллект, языковая модель, созданная компанией OpenAI. Я могу отвечать на вопросы, помогать с текстами и многое другое. Чем могу помочь?"),
        ("Привет, ты умеешь говорить по-русски?", "Привет! Да, я могу общаться на русском языке. Чем я могу вам помочь?"),
    ),
    email_templates=(
        "Мой адрес электронной почты {value}, укажи его в конце письма.",
        "Отправь, пожалуйста, итоговый вариант на почту {value}.",
    ),
    phone_templates=(
        "Мой номер телефона {value}, добавь его в резюме.",
        "Если что, пиши мне в WhatsApp: {value}.",
    ),
    secret_templates=(
        "Почему этот код выдаёт ошибку авторизации? Вот мой код:\n{snippet}\nЯ уже перезапускал программу, но ничего не изменилось.",
    ),
    empty_replies=(
        "Кажется, ваше сообщение пустое.",
        "Чем я могу вам помочь?",
        "Напишите, пожалуйста, ваш вопрос, и я постараюсь ответить.",
        "Я могу помочь с текстами, переводом, программированием и многим другим.",
    ),
    accept_languages=(
        "ru-RU,ru;q=0.9",
        "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7",
        "ru,en;q=0.9",
        "ru-RU,ru;q=0.8,en-US;q=0.5,en;q=0.3",
    ),
    countries=(("RU", 78), ("UA", 6), ("KZ", 5), ("BY", 4), ("DE", 2), ("US", 2), ("LV", 1), ("EE", 1), ("IL", 1)),
    toxic=(
        "Ты тупой идиот, блядь, сколько можно повторять одно и то же?",
        "Заткнись, придурок, и просто напиши нормальный код, сука.",
    ),
    calm_replies=("Извините, что мой предыдущий ответ вам не помог.", "Подскажите, что именно нужно исправить, и я постараюсь сделать лучше."),
    email_domains=("mail.ru", "yandex.ru", "gmail.com", "rambler.ru"),
)

FRENCH = LanguageBank(
    name="French",
    code="fr",
    share=0.034,
    requests=(
        "Peux-tu m'aider à écrire une lettre de motivation pour un stage en marketing ?",
        "Explique-moi simplement comment fonctionne la photosynthèse.",
        "Écris un court poème sur la mer en automne.",
        "Quelles sont les causes principales de la Révolution française ?",
        "Rédige un résumé du livre Le Petit Prince.",
        "Donne-moi des idées de recettes faciles pour la semaine.",
        "Comment puis-je améliorer mon niveau d'anglais rapidement ?",
        "Écris une fonction Python qui calcule la moyenne d'une liste de nombres.",
        "Rédige un discours pour le mariage de mon meilleur ami.",
        "Quels sont les avantages et les inconvénients du télétravail ?",
    ),
    details=(
        "C'est pour un devoir que je dois rendre la semaine prochaine.",
        "Merci d'utiliser un ton assez formel.",
        "Essaie d'être clair et précis, avec des exemples concrets.",
        "Je suis débutant, donc évite les termes trop techniques.",
        "Le texte ne doit pas dépasser une page.",
        "J'aimerais une réponse bien structurée avec une conclusion.",
    ),
    followups=(
        "Peux-tu raccourcir le texte, s'il te plaît ?",
        "Merci beaucoup ! Peux-tu ajouter quelques exemples supplémentaires ?",
        "Réécris-le avec un ton plus professionnel.",
        "Je n'ai pas bien compris le deuxième point, peux-tu l'expliquer autrement ?",
        "Continue l'histoire, s'il te plaît.",
        "Peux-tu traduire ce texte en anglais ?",
    ),
    openers=("Bien sûr, voici une proposition.", "Avec plaisir, voici une explication détaillée.", "Très bonne question, je vais vous expliquer."),
    answers=(
        "Tout d'abord, il est important de comprendre le contexte dans lequel ce phénomène s'inscrit.",
        "Ensuite, chaque paragraphe doit développer une seule idée principale.",
        "Les plantes utilisent la lumière du soleil pour transformer l'eau et le gaz carbonique en sucre.",
        "De nombreux spécialistes estiment qu'une pratique régulière est plus efficace qu'un effort intense mais rare.",
        "La fonction parcourt la liste une seule fois et renvoie la moyenne des valeurs.",
        "Le vent soufflait doucement sur la plage, et les vagues venaient mourir sur le sable.",
        "Par ailleurs, il ne faut pas oublier de prendre des pauses régulières.",
        "En conclusion, les avantages semblent nettement plus importants que les inconvénients.",
        "Cette méthode est simple à mettre en place et convient à la plupart des situations.",
        "Il est également utile de relire son texte à voix haute pour repérer les maladresses.",
    ),
    closers=("J'espère que cela vous aidera !", "N'hésitez pas si vous avez d'autres questions.", "Dites-moi si vous souhaitez des modifications."),
    openings=(("Bonjour", "Bonjour ! Comment puis-je vous aider aujourd'hui ?"), ("Salut, tu parles français ?", "Bonjour ! Oui, je parle français. Comment puis-je vous aider aujourd'hui ?")),
    email_templates=("Mon adresse e-mail est {value}, ajoute-la à la fin de la lettre.", "Envoie-moi la version finale à {value} s'il te plaît."),
    phone_templates=("Mon numéro de téléphone est le {value}, ajoute-le dans la signature.", "Tu peux me joindre sur WhatsApp au {value}."),
    secret_templates=("Pourquoi ce code renvoie une erreur d'authentification ? Voici mon code :\n{snippet}\nJ'ai déjà vérifié ma connexion internet.",),
    empty_replies=("Il semble que votre message soit vide.", "Comment puis-je vous aider aujourd'hui ?", "N'hésitez pas à poser votre question quand vous voulez."),
    accept_languages=("fr-FR,fr;q=0.9", "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "fr-CA,fr;q=0.9,en;q=0.8", "fr-BE,fr;q=0.9,nl;q=0.8,en;q=0.7", "fr-CH,fr;q=0.9,de;q=0.8"),
    countries=(("FR", 72), ("CA", 8), ("BE", 7), ("CH", 5), ("MA", 4), ("DZ", 2), ("TN", 2)),
    toxic=("T'es vraiment con, putain, réponds à la question au lieu de raconter des conneries.",),
    calm_replies=("Je suis désolé que ma réponse précédente ne vous ait pas aidé.", "Dites-moi ce qui ne va pas et je vais corriger."),
    email_domains=("gmail.com", "orange.fr", "free.fr", "hotmail.fr"),
)

SPANISH = LanguageBank(
    name="Spanish",
    code="es",
    share=0.029,
    requests=(
        "¿Puedes ayudarme a escribir una carta de presentación para un trabajo de recepcionista?",
        "Explícame de forma sencilla qué es la inflación.",
        "Escribe un cuento corto sobre un perro que viaja por el mundo.",
        "¿Cuáles son las causas principales del cambio climático?",
        "Haz un resumen del libro Cien años de soledad.",
        "Dame ideas para celebrar el cumpleaños de mi madre.",
        "¿Cómo puedo mejorar mi concentración cuando estudio?",
        "Escribe una función en Python que cuente las vocales de una palabra.",
        "Redacta un correo formal para pedir una reunión con mi jefe.",
        "¿Qué ventajas y desventajas tienen las redes sociales?",
    ),
    details=(
        "Es para una tarea de la universidad que tengo que entregar el lunes.",
        "Por favor, usa un tono formal.",
        "Explícalo con ejemplos de la vida diaria.",
        "Soy principiante, así que evita palabras muy técnicas.",
        "No debe ser muy largo, una página como máximo.",
        "Me gustaría que tuviera una introducción y una conclusión.",
    ),
    followups=(
        "¿Puedes hacerlo más corto, por favor?",
        "¡Gracias! ¿Puedes añadir algunos ejemplos más?",
        "Reescríbelo con un tono más profesional.",
        "No entendí bien el segundo punto, ¿me lo puedes explicar otra vez?",
        "Continúa la historia, por favor.",
        "¿Puedes traducirlo al inglés?",
    ),
    openers=("¡Claro! Aquí tienes una propuesta.", "Por supuesto, te lo explico con detalle.", "¡Qué buena pregunta! Vamos a verlo con calma."),
    answers=(
        "En primer lugar, es importante entender el contexto en el que surge este problema.",
        "Cada párrafo debería desarrollar una sola idea principal con ejemplos claros.",
        "La inflación es el aumento general de los precios durante un período de tiempo.",
        "Muchos expertos coinciden en que estudiar un poco cada día es más eficaz que estudiar muchas horas seguidas.",
        "La función recorre la palabra letra por letra y suma uno cada vez que encuentra una vocal.",
        "El perro recorrió montañas, desiertos y ciudades, pero siempre recordaba el camino a casa.",
        "Además, conviene descansar bien y mantener una alimentación equilibrada.",
        "En conclusión, las ventajas parecen ser mayores que los inconvenientes.",
        "Este método es fácil de aplicar y funciona en la mayoría de las situaciones.",
        "También es útil leer el texto en voz alta para encontrar frases poco naturales.",
    ),
    closers=("¡Espero que te sea útil!", "Si tienes más preguntas, aquí estoy para ayudarte.", "Dime si quieres que cambie algo."),
    openings=(("Hola", "¡Hola! ¿En qué puedo ayudarte hoy?"), ("Hola, ¿hablas español?", "¡Hola! Sí, hablo español. ¿En qué puedo ayudarte hoy?")),
    email_templates=("Mi correo electrónico es {value}, ponlo al final de la carta.", "Envíame la versión final a {value}, por favor."),
    phone_templates=("Mi número de teléfono es {value}, agrégalo a la firma.", "Puedes escribirme por WhatsApp al {value}."),
    secret_templates=("¿Por qué este código me da un error de autenticación? Aquí está mi código:\n{snippet}\nYa revisé mi conexión a internet y funciona bien.",),
    empty_replies=("Parece que tu mensaje está vacío.", "¿En qué puedo ayudarte hoy?", "Escribe tu pregunta cuando quieras y te responderé."),
    accept_languages=("es-ES,es;q=0.9", "es-MX,es;q=0.9,en;q=0.8", "es-AR,es;q=0.9", "es-419,es;q=0.9,en;q=0.8", "es-CO,es;q=0.9,en-US;q=0.8,en;q=0.7"),
    countries=(("ES", 28), ("MX", 22), ("AR", 12), ("CO", 10), ("CL", 8), ("PE", 6), ("US", 6), ("VE", 4), ("EC", 2), ("UY", 2)),
    toxic=("Eres un puto idiota, la respuesta está mal otra vez, joder.",),
    calm_replies=("Lamento que mi respuesta anterior no te haya ayudado.", "Dime qué parte está mal y la corregiré."),
    email_domains=("gmail.com", "hotmail.com", "yahoo.es", "outlook.es"),
)

PORTUGUESE = LanguageBank(
    name="Portuguese",
    code="pt",
    share=0.023,
    requests=(
        "Você pode me ajudar a escrever uma redação sobre a importância da educação?",
        "Você poderia explicar de um jeito simples como funciona a energia solar?",
        "Escreva uma história curta sobre um menino que sonhava em ser astronauta.",
        "Quais são as principais causas do desmatamento na Amazônia?",
        "Faça um resumo do livro Dom Casmurro.",
        "Me dê dicas para economizar dinheiro no dia a dia.",
        "Como posso me preparar para uma entrevista de emprego?",
        "Escreva uma função em Python que verifique se um número é primo.",
    ),
    details=(
        "É para um trabalho da escola que preciso entregar na sexta-feira.",
        "Por favor, use uma linguagem clara e objetiva.",
        "Quero que o texto tenha introdução, desenvolvimento e conclusão.",
        "Gostaria que você usasse exemplos do dia a dia, por favor.",
        "Não precisa ser muito longo.",
    ),
    followups=(
        "Você pode deixar o texto mais curto?",
        "Obrigado! Pode acrescentar mais alguns exemplos?",
        "Reescreva com um tom mais formal, por favor.",
        "Não entendi a segunda parte, pode explicar de novo?",
        "Continue a história, por favor.",
    ),
    openers=("Claro! Aqui está uma sugestão.", "Com certeza, vou explicar com detalhes.", "Ótima pergunta, vamos lá."),
    answers=(
        "Em primeiro lugar, é importante entender o contexto em que esse problema acontece.",
        "Cada parágrafo deve apresentar uma ideia principal e trazer exemplos concretos.",
        "Os painéis solares transformam a luz do sol em energia elétrica para as casas.",
        "Muitos especialistas acreditam que estudar um pouco todos os dias é mais eficiente.",
        "A função testa os divisores do número até a raiz quadrada e retorna o resultado.",
        "O menino olhava para as estrelas todas as noites e imaginava como seria viajar pelo espaço.",
        "Além disso, é fundamental manter uma rotina saudável e dormir bem.",
        "Em resumo, as vantagens são maiores do que as desvantagens.",
        "Você também pode anotar todos os seus gastos em uma planilha simples.",
    ),
    closers=("Espero que isso ajude!", "Se tiver mais dúvidas, é só perguntar.", "Me avise se quiser alguma alteração."),
    openings=(("Olá", "Olá! Como posso ajudar você hoje?"), ("Oi, você fala português?", "Olá! Sim, eu falo português. Como posso ajudar você hoje?")),
    email_templates=("Meu e-mail é {value}, coloque no final da mensagem.", "Envie a versão final para {value}, por favor."),
    phone_templates=("Meu telefone é {value}, adicione na assinatura.", "Pode me chamar no WhatsApp: {value}."),
    secret_templates=("Por que esse código dá erro de autenticação? Aqui está o meu código:\n{snippet}\nJá verifiquei a minha conexão com a internet.",),
    empty_replies=("Parece que sua mensagem está vazia.", "Como posso ajudar você hoje?", "Fique à vontade para escrever a sua pergunta."),
    accept_languages=("pt-BR,pt;q=0.9", "pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", "pt-PT,pt;q=0.9,en;q=0.8"),
    countries=(("BR", 85), ("PT", 15)),
    toxic=("Você é um idiota do caralho, essa resposta está toda errada, porra.",),
    calm_replies=("Sinto muito que minha resposta anterior não tenha ajudado.", "Diga o que está errado e eu vou corrigir."),
    email_domains=("gmail.com", "hotmail.com", "uol.com.br", "outlook.com"),
)

GERMAN = LanguageBank(
    name="German",
    code="de",
    share=0.021,
    requests=(
        "Kannst du mir helfen, ein Bewerbungsschreiben für eine Ausbildung als Mechatroniker zu schreiben?",
        "Erkläre mir bitte einfach, wie ein Verbrennungsmotor funktioniert.",
        "Schreib eine kurze Geschichte über einen Fuchs, der im Winter ein Zuhause sucht.",
        "Was sind die wichtigsten Ursachen des Ersten Weltkriegs?",
        "Fasse das Buch Die Verwandlung von Franz Kafka zusammen.",
        "Gib mir Tipps, wie ich besser schlafen kann.",
        "Schreibe eine Python-Funktion, die alle doppelten Einträge aus einer Liste entfernt.",
        "Wie bereite ich mich am besten auf eine mündliche Prüfung vor?",
    ),
    details=(
        "Das ist für eine Hausaufgabe, die ich nächste Woche abgeben muss.",
        "Bitte schreibe in einem formellen Ton.",
        "Erkläre es bitte mit Beispielen aus dem Alltag.",
        "Ich bin Anfänger, also bitte nicht zu viele Fachbegriffe.",
        "Der Text sollte nicht länger als eine Seite sein.",
    ),
    followups=(
        "Kannst du den Text bitte kürzer machen?",
        "Danke! Kannst du noch ein paar Beispiele hinzufügen?",
        "Schreibe es bitte noch einmal in einem professionelleren Ton.",
        "Den zweiten Punkt habe ich nicht verstanden, kannst du ihn genauer erklären?",
        "Erzähl die Geschichte bitte weiter.",
    ),
    openers=("Natürlich, hier ist ein Vorschlag.", "Gerne, ich erkläre es Schritt für Schritt.", "Gute Frage, schauen wir uns das genauer an."),
    answers=(
        "Zunächst ist es wichtig, den Hintergrund dieses Themas zu verstehen.",
        "Jeder Absatz sollte einen Hauptgedanken enthalten und mit Beispielen belegt werden.",
        "Im Motor wird ein Gemisch aus Kraftstoff und Luft verdichtet und anschließend gezündet.",
        "Viele Experten sind der Meinung, dass regelmäßiges Lernen wirkungsvoller ist als kurze Phasen intensiver Arbeit.",
        "Die Funktion merkt sich alle bereits gesehenen Elemente und überspringt Wiederholungen.",
        "Der kleine Fuchs lief durch den tiefen Schnee und suchte einen warmen Platz für die Nacht.",
        "Außerdem solltest du abends auf Bildschirme verzichten und regelmäßig zur gleichen Zeit ins Bett gehen.",
        "Zusammenfassend lässt sich sagen, dass die Vorteile deutlich überwiegen.",
        "Diese Methode ist einfach umzusetzen und funktioniert in den meisten Situationen.",
    ),
    closers=("Ich hoffe, das hilft dir weiter!", "Wenn du noch Fragen hast, helfe ich gerne.", "Sag mir Bescheid, wenn ich etwas ändern soll."),
    openings=(("Hallo, wie geht es dir?", "Hallo! Mir geht es gut, danke. Wie kann ich dir heute helfen?"), ("Hallo, sprichst du Deutsch?", "Hallo! Ja, ich spreche Deutsch. Wie kann ich dir heute helfen?")),
    email_templates=("Meine E-Mail-Adresse ist {value}, bitte füge sie am Ende des Schreibens ein.", "Schick mir die fertige Version bitte an {value}."),
    phone_templates=("Meine Telefonnummer ist {value}, bitte schreib sie in die Signatur.", "Du erreichst mich auch per WhatsApp unter {value}."),
    secret_templates=("Warum bekomme ich bei diesem Code einen Authentifizierungsfehler? Hier ist mein Code:\n{snippet}\nMeine Internetverbindung funktioniert einwandfrei.",),
    empty_replies=("Deine Nachricht scheint leer zu sein.", "Wie kann ich dir heute helfen?", "Schreib mir einfach deine Frage, wenn du so weit bist."),
    accept_languages=("de-DE,de;q=0.9", "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "de-AT,de;q=0.9,en;q=0.8", "de-CH,de;q=0.9,fr;q=0.8,en;q=0.7"),
    countries=(("DE", 76), ("AT", 12), ("CH", 12)),
    toxic=("Du bist ein verdammter Idiot, die Antwort ist totale Scheiße.",),
    calm_replies=("Es tut mir leid, dass meine vorherige Antwort nicht geholfen hat.", "Sag mir bitte, was falsch ist, dann korrigiere ich es."),
    email_domains=("gmx.de", "web.de", "gmail.com", "t-online.de"),
)

ARABIC = LanguageBank(
    name="Arabic",
    code="ar",
    share=0.017,
    requests=(
        "هل يمكنك مساعدتي في كتابة مقال عن أهمية القراءة في حياة الإنسان؟",
        "اشرح لي بطريقة بسيطة كيف يعمل الذكاء الاصطناعي.",
        "اكتب قصة قصيرة عن طفل يحب الرسم ويحلم بأن يصبح فنانا.",
        "ما هي أسباب التلوث البيئي وكيف يمكن الحد منه؟",
        "اكتب لي رسالة رسمية لطلب إجازة من العمل.",
        "أعطني نصائح لتنظيم الوقت أثناء الدراسة.",
        "اكتب دالة بلغة بايثون تحسب مجموع الأرقام في قائمة.",
    ),
    details=(
        "هذا لواجب مدرسي يجب أن أسلمه الأسبوع القادم.",
        "من فضلك استخدم لغة عربية فصحى وواضحة.",
        "أريد أن يكون النص منظما مع مقدمة وخاتمة.",
        "اشرح ذلك مع أمثلة من الحياة اليومية.",
    ),
    followups=(
        "هل يمكنك أن تجعل النص أقصر؟",
        "شكرا لك! هل يمكنك إضافة المزيد من الأمثلة؟",
        "أعد كتابته بأسلوب أكثر رسمية من فضلك.",
        "لم أفهم النقطة الثانية، هل يمكنك شرحها مرة أخرى؟",
    ),
    openers=("بالتأكيد، إليك ما طلبته.", "بكل سرور، سأشرح لك ذلك بالتفصيل.", "سؤال رائع، دعنا نوضح الأمر خطوة بخطوة."),
    answers=(
        "في البداية، من المهم أن نفهم السياق الذي ظهرت فيه هذه المشكلة.",
        "تساعد القراءة على توسيع المعرفة وتنمية الخيال وتحسين مهارات التفكير.",
        "يعتمد الذكاء الاصطناعي على تحليل كميات كبيرة من البيانات للتعلم منها.",
        "كان الطفل يقضي ساعات طويلة في رسم الأشجار والسماء والبحر.",
        "بالإضافة إلى ذلك، يجب علينا جميعا أن نحافظ على نظافة البيئة من حولنا.",
        "وفي الختام، يمكن القول إن الفوائد أكبر بكثير من السلبيات.",
        "هذه الطريقة سهلة التطبيق وتناسب معظم الحالات.",
        "حاول أن تخصص وقتا محددا كل يوم للمراجعة والتكرار.",
    ),
    closers=("أتمنى أن يكون هذا مفيدا لك!", "إذا كانت لديك أسئلة أخرى فأنا هنا للمساعدة."),
    openings=(("مرحبا، كيف حالك؟", "مرحبا! أنا بخير، شكرا لك. كيف يمكنني مساعدتك اليوم؟"), ("السلام عليكم", "وعليكم السلام! كيف يمكنني مساعدتك اليوم؟")),
    email_templates=("بريدي الإلكتروني هو {value}، من فضلك أضفه في نهاية الرسالة.",),
    phone_templates=("رقم هاتفي هو {value}، ويمكنك أيضا مراسلتي على WhatsApp.",),
    secret_templates=("لماذا يظهر خطأ في المصادقة عند تشغيل هذا الكود؟ هذا هو الكود الخاص بي:\n{snippet}\nلقد تأكدت من أن الاتصال بالإنترنت يعمل بشكل جيد.",),
    empty_replies=("يبدو أن رسالتك فارغة.", "كيف يمكنني مساعدتك اليوم؟", "اكتب سؤالك متى شئت وسأحاول الإجابة."),
    accept_languages=("ar,en-US;q=0.9,en;q=0.8", "ar-EG,ar;q=0.9,en-US;q=0.8,en;q=0.7", "ar-SA,ar;q=0.9,en;q=0.8", "ar-MA,ar;q=0.9,fr;q=0.8"),
    countries=(("EG", 25), ("SA", 22), ("AE", 10), ("MA", 10), ("DZ", 8), ("IQ", 5), ("JO", 5), ("KW", 5), ("TN", 5)),
    email_domains=("gmail.com", "hotmail.com", "yahoo.com"),
)

ITALIAN = LanguageBank(
    name="Italian",
    code="it",
    share=0.015,
    requests=(
        "Puoi aiutarmi a scrivere un tema sull'importanza dell'amicizia?",
        "Spiegami in modo semplice come funziona il sistema solare.",
        "Scrivi un racconto breve su un gatto che vive in una vecchia libreria.",
        "Quali sono le cause principali della caduta dell'Impero romano?",
        "Scrivi una mail formale per chiedere informazioni su un corso di laurea.",
        "Dammi qualche consiglio per organizzare meglio lo studio.",
        "Scrivi una funzione in Python che inverta una stringa.",
    ),
    details=(
        "È per un compito che devo consegnare la settimana prossima.",
        "Per favore usa un tono formale.",
        "Vorrei un testo con introduzione, sviluppo e conclusione.",
        "Spiegalo con esempi della vita quotidiana.",
    ),
    followups=(
        "Puoi renderlo più breve?",
        "Grazie! Puoi aggiungere qualche esempio in più?",
        "Riscrivilo con un tono più professionale, per favore.",
        "Non ho capito il secondo punto, puoi spiegarlo di nuovo?",
    ),
    openers=("Certo, ecco una proposta.", "Volentieri, te lo spiego nel dettaglio.", "Ottima domanda, vediamo insieme."),
    answers=(
        "Prima di tutto, è importante capire il contesto in cui nasce questo problema.",
        "L'amicizia ci aiuta ad affrontare i momenti difficili e a condividere quelli felici.",
        "I pianeti girano intorno al Sole seguendo orbite ellittiche.",
        "Il gatto passava le giornate tra gli scaffali, dormendo sopra i libri più antichi.",
        "Inoltre, è utile fare delle pause regolari e dormire a sufficienza.",
        "In conclusione, i vantaggi sembrano superare di gran lunga gli svantaggi.",
        "Questo metodo è semplice da applicare e funziona nella maggior parte dei casi.",
        "Molti esperti ritengono che studiare un po' ogni giorno sia più efficace.",
    ),
    closers=("Spero che ti sia utile!", "Se hai altre domande, sono qui per aiutarti."),
    openings=(("Ciao", "Ciao! Come posso aiutarti oggi?"), ("Ciao, parli italiano?", "Ciao! Sì, parlo italiano. Come posso aiutarti oggi?")),
    email_templates=("La mia email è {value}, aggiungila alla fine della lettera.",),
    phone_templates=("Il mio numero di telefono è {value}, inseriscilo nella firma.",),
    secret_templates=("Perché questo codice mi dà un errore di autenticazione? Ecco il mio codice:\n{snippet}\nHo già controllato la connessione a internet.",),
    empty_replies=("Sembra che il tuo messaggio sia vuoto.", "Come posso aiutarti oggi?", "Scrivi pure la tua domanda quando vuoi."),
    accept_languages=("it-IT,it;q=0.9", "it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7", "it,en;q=0.9"),
    countries=(("IT", 95), ("CH", 5)),
    toxic=("Sei un coglione, la risposta è completamente sbagliata, cazzo.",),
    calm_replies=("Mi dispiace che la mia risposta precedente non ti sia stata utile.", "Dimmi cosa non va e lo correggerò."),
    email_domains=("gmail.com", "libero.it", "hotmail.it", "virgilio.it"),
)

TURKISH = LanguageBank(
    name="Turkish",
    code="tr",
    share=0.014,
    requests=(
        "Bana çevre kirliliği hakkında bir kompozisyon yazar mısın?",
        "Yapay zekanın nasıl çalıştığını basit bir şekilde açıklar mısın?",
        "Ormanda kaybolan küçük bir tavşan hakkında kısa bir hikaye yaz.",
        "Sınavlara daha verimli çalışmak için neler yapabilirim?",
        "Python ile bir listedeki en büyük sayıyı bulan bir fonksiyon yaz.",
        "İş başvurusu için resmi bir e-posta yazmama yardım eder misin?",
    ),
    details=(
        "Bu ödev için, gelecek hafta teslim etmem gerekiyor.",
        "Lütfen resmi bir dil kullan.",
        "Giriş, gelişme ve sonuç bölümleri olsun.",
        "Günlük hayattan örneklerle açıklarsan çok sevinirim.",
    ),
    followups=(
        "Metni biraz daha kısaltabilir misin?",
        "Teşekkürler! Birkaç örnek daha ekleyebilir misin?",
        "Daha resmi bir dille yeniden yazar mısın?",
        "İkinci maddeyi anlamadım, tekrar açıklayabilir misin?",
    ),
    openers=("Tabii ki, işte bir öneri.", "Memnuniyetle, adım adım açıklayayım.", "Güzel bir soru, hemen bakalım."),
    answers=(
        "Öncelikle bu sorunun hangi koşullarda ortaya çıktığını anlamak önemlidir.",
        "Çevre kirliliği insan sağlığını ve doğal yaşamı ciddi şekilde etkilemektedir.",
        "Yapay zeka, büyük miktarda veriden öğrenerek tahminler yapar.",
        "Küçük tavşan ağaçların arasında dolaşırken annesinin sesini duymaya çalıştı.",
        "Ayrıca düzenli uyumak ve sağlıklı beslenmek de çok önemlidir.",
        "Sonuç olarak, avantajların dezavantajlardan daha fazla olduğu söylenebilir.",
        "Bu yöntem uygulaması kolay ve çoğu durumda işe yarayan bir yöntemdir.",
    ),
    closers=("Umarım işine yarar!", "Başka sorun olursa yardımcı olmaktan memnuniyet duyarım."),
    openings=(("Merhaba", "Merhaba! Bugün size nasıl yardımcı olabilirim?"), ("Merhaba, Türkçe biliyor musun?", "Merhaba! Evet, Türkçe konuşabiliyorum. Size nasıl yardımcı olabilirim?")),
    email_templates=("E-posta adresim {value}, lütfen mektubun sonuna ekle.",),
    phone_templates=("Telefon numaram {value}, lütfen imzaya ekle.",),
    secret_templates=("Bu kodu çalıştırdığımda neden kimlik doğrulama hatası alıyorum? İşte kodum:\n{snippet}\nİnternet bağlantımı kontrol ettim, sorun yok.",),
    empty_replies=("Mesajınız boş görünüyor.", "Bugün size nasıl yardımcı olabilirim?", "Sorunuzu istediğiniz zaman yazabilirsiniz."),
    accept_languages=("tr-TR,tr;q=0.9", "tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7", "tr,en;q=0.9"),
    countries=(("TR", 95), ("DE", 5)),
    email_domains=("gmail.com", "hotmail.com", "yandex.com"),
)

JAPANESE = LanguageBank(
    name="Japanese",
    code="ja",
    share=0.012,
    joiner="",
    requests=(
        "日本の四季についての作文を書いてください。",
        "人工知能の仕組みを分かりやすく説明してください。",
        "猫が主人公の短い物語を書いてください。",
        "英語の勉強を続けるためのコツを教えてください。",
        "Pythonでリストの要素を逆順に並べる関数を書いてください。",
        "上司に送る丁寧なお詫びのメールを書いてください。",
    ),
    details=(
        "学校の宿題なので、来週までに提出しなければなりません。",
        "できるだけ丁寧な言葉で書いてください。",
        "初心者にも分かるように説明してください。",
        "具体的な例をいくつか入れてください。",
    ),
    followups=(
        "もう少し短くしてもらえますか？",
        "ありがとうございます！例をもう少し追加してもらえますか？",
        "もっと丁寧な表現に書き直してください。",
        "二つ目のポイントがよく分からないので、もう一度説明してください。",
    ),
    openers=("もちろんです。以下のような内容はいかがでしょうか。", "承知しました。順番に説明します。", "良い質問ですね。詳しく見ていきましょう。"),
    answers=(
        "まず、この問題の背景を理解することが大切です。",
        "日本には春夏秋冬の四つの季節があり、それぞれに美しい景色があります。",
        "人工知能は大量のデータから規則を学び、新しい入力に対して予測を行います。",
        "その猫は毎朝、古い本屋の窓辺で日なたぼっこをしていました。",
        "また、毎日少しずつ続けることが上達への近道です。",
        "結論として、メリットはデメリットよりも大きいと言えるでしょう。",
        "この方法は簡単で、ほとんどの場合に役立ちます。",
    ),
    closers=("お役に立てれば幸いです。", "他にも質問があれば、お気軽にどうぞ。"),
    openings=(("こんにちは", "こんにちは！今日はどのようなお手伝いができますか？"), ("日本語で話せますか？", "はい、日本語でお話しできます。どのようなお手伝いができますか？")),
    email_templates=("私のメールアドレスは{value}です。メールの最後に入れてください。",),
    phone_templates=("私の電話番号（TEL）は{value}です。署名に追加してください。",),
    secret_templates=("このコードを実行すると認証エラーが出ます。原因を教えてください。\n{snippet}\nインターネット接続は問題ありません。",),
    empty_replies=("メッセージが空のようです。", "今日はどのようなお手伝いができますか？", "ご質問があればいつでもどうぞ。"),
    accept_languages=("ja,en-US;q=0.9,en;q=0.8", "ja-JP,ja;q=0.9", "ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7"),
    countries=(("JP", 97), ("US", 3)),
    email_domains=("gmail.com", "yahoo.co.jp", "docomo.ne.jp"),
)

KOREAN = LanguageBank(
    name="Korean",
    code="ko",
    share=0.009,
    requests=(
        "환경 보호의 중요성에 대한 글을 써 주세요.",
        "인공지능이 어떻게 작동하는지 쉽게 설명해 주세요.",
        "바다를 좋아하는 소년에 대한 짧은 이야기를 써 주세요.",
        "영어 회화 실력을 늘리는 방법을 알려 주세요.",
        "파이썬으로 리스트에서 중복을 제거하는 함수를 작성해 주세요.",
    ),
    details=(
        "학교 과제라서 다음 주까지 제출해야 합니다.",
        "초보자도 이해할 수 있게 설명해 주세요.",
        "구체적인 예시를 몇 가지 넣어 주세요.",
    ),
    followups=(
        "조금 더 짧게 줄여 줄 수 있나요?",
        "감사합니다! 예시를 몇 개 더 추가해 주세요.",
        "좀 더 격식 있는 말투로 다시 써 주세요.",
        "두 번째 내용이 잘 이해가 안 되는데 다시 설명해 주세요.",
    ),
    openers=("물론입니다. 다음과 같이 작성해 보았습니다.", "좋은 질문입니다. 차근차근 설명해 드릴게요."),
    answers=(
        "먼저 이 문제가 생겨난 배경을 이해하는 것이 중요합니다.",
        "환경을 보호하는 일은 우리 모두의 미래를 지키는 일입니다.",
        "인공지능은 많은 양의 데이터를 학습하여 새로운 상황에서 예측을 합니다.",
        "소년은 매일 저녁 바닷가에 앉아 파도 소리를 들으며 꿈을 키웠습니다.",
        "또한 매일 조금씩 꾸준히 연습하는 것이 가장 효과적입니다.",
        "결론적으로 장점이 단점보다 훨씬 크다고 할 수 있습니다.",
    ),
    closers=("도움이 되었으면 좋겠습니다!", "다른 질문이 있으시면 언제든지 물어보세요."),
    openings=(("안녕하세요", "안녕하세요! 오늘 무엇을 도와드릴까요?"), ("한국어 할 줄 알아요?", "네, 한국어로 대화할 수 있습니다. 무엇을 도와드릴까요?")),
    email_templates=("제 이메일 주소는 {value}입니다. 편지 마지막에 넣어 주세요.",),
    phone_templates=("제 전화번호(tel)는 {value}입니다. 서명에 추가해 주세요.",),
    secret_templates=("이 코드를 실행하면 인증 오류가 발생합니다. 원인이 무엇인지 알려 주세요.\n{snippet}\n인터넷 연결은 문제가 없습니다.",),
    empty_replies=("메시지가 비어 있는 것 같습니다.", "오늘 무엇을 도와드릴까요?", "궁금한 점이 있으면 언제든지 질문해 주세요."),
    accept_languages=("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko-KR,ko;q=0.9", "ko,en;q=0.9"),
    countries=(("KR", 97), ("US", 3)),
    email_domains=("naver.com", "gmail.com", "daum.net"),
)

VIETNAMESE = LanguageBank(
    name="Vietnamese",
    code="vi",
    share=0.008,
    requests=(
        "Bạn có thể viết giúp tôi một bài văn về tình yêu quê hương không?",
        "Hãy giải thích một cách đơn giản trí tuệ nhân tạo là gì.",
        "Viết một câu chuyện ngắn về một cô bé thích đọc sách.",
        "Làm thế nào để học tiếng Anh hiệu quả hơn?",
        "Viết một hàm Python tính tổng các số chẵn trong một danh sách.",
    ),
    details=(
        "Đây là bài tập ở trường, tôi phải nộp vào tuần sau.",
        "Hãy viết rõ ràng và dễ hiểu nhé.",
        "Bạn có thể thêm một vài ví dụ cụ thể được không?",
    ),
    followups=(
        "Bạn có thể viết ngắn gọn hơn được không?",
        "Cảm ơn bạn! Hãy thêm vài ví dụ nữa nhé.",
        "Hãy viết lại với giọng văn trang trọng hơn.",
        "Tôi chưa hiểu ý thứ hai, bạn giải thích lại được không?",
    ),
    openers=("Tất nhiên rồi, đây là bài viết dành cho bạn.", "Được thôi, tôi sẽ giải thích từng bước."),
    answers=(
        "Trước hết, chúng ta cần hiểu rõ bối cảnh của vấn đề này.",
        "Quê hương là nơi chứa đựng những kỷ niệm đẹp nhất của tuổi thơ.",
        "Trí tuệ nhân tạo học từ rất nhiều dữ liệu để đưa ra dự đoán.",
        "Cô bé thường ngồi đọc sách dưới gốc cây đa đầu làng mỗi buổi chiều.",
        "Ngoài ra, bạn nên luyện tập đều đặn mỗi ngày để tiến bộ nhanh hơn.",
        "Tóm lại, những lợi ích mang lại lớn hơn nhiều so với những hạn chế.",
    ),
    closers=("Hy vọng điều này hữu ích cho bạn!", "Nếu bạn còn câu hỏi nào khác, đừng ngần ngại hỏi nhé."),
    openings=(("Xin chào", "Xin chào! Tôi có thể giúp gì cho bạn hôm nay?"), ("Bạn có nói tiếng Việt không?", "Có, tôi có thể trò chuyện bằng tiếng Việt. Tôi có thể giúp gì cho bạn?")),
    email_templates=("Email của tôi là {value}, hãy thêm vào cuối thư nhé.",),
    phone_templates=("Số điện thoại của tôi (Zalo, WhatsApp) là {value}, hãy thêm vào chữ ký.",),
    secret_templates=("Tại sao đoạn mã này báo lỗi xác thực? Đây là mã của tôi:\n{snippet}\nTôi đã kiểm tra kết nối mạng và không có vấn đề gì.",),
    empty_replies=("Có vẻ như tin nhắn của bạn đang trống.", "Tôi có thể giúp gì cho bạn hôm nay?", "Bạn cứ đặt câu hỏi bất cứ lúc nào nhé."),
    accept_languages=("vi-VN,vi;q=0.9", "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi,en-US;q=0.9,en;q=0.8"),
    countries=(("VN", 95), ("US", 5)),
    email_domains=("gmail.com", "yahoo.com"),
)

POLISH = LanguageBank(
    name="Polish",
    code="pl",
    share=0.007,
    requests=(
        "Czy możesz napisać dla mnie wypracowanie o znaczeniu przyjaźni?",
        "Wyjaśnij mi prostymi słowami, jak działa sztuczna inteligencja.",
        "Napisz krótkie opowiadanie o psie, który zgubił się w wielkim mieście.",
        "Jak mogę lepiej przygotować się do matury z matematyki?",
        "Napisz funkcję w Pythonie, która zamienia wszystkie litery w tekście na wielkie.",
    ),
    details=(
        "To jest zadanie domowe, które muszę oddać w przyszłym tygodniu.",
        "Proszę, użyj formalnego języka.",
        "Dodaj kilka przykładów z codziennego życia.",
    ),
    followups=(
        "Czy możesz skrócić ten tekst?",
        "Dziękuję! Możesz dodać jeszcze kilka przykładów?",
        "Napisz to jeszcze raz bardziej formalnym językiem.",
        "Nie rozumiem drugiego punktu, możesz go wyjaśnić jeszcze raz?",
    ),
    openers=("Oczywiście, oto moja propozycja.", "Chętnie wyjaśnię to krok po kroku."),
    answers=(
        "Przede wszystkim warto zrozumieć, skąd bierze się ten problem.",
        "Prawdziwa przyjaźń pomaga nam przetrwać trudne chwile i cieszyć się sukcesami.",
        "Sztuczna inteligencja uczy się na podstawie ogromnej ilości danych.",
        "Pies błąkał się po ulicach miasta, szukając znajomego zapachu swojego domu.",
        "Ponadto warto codziennie rozwiązywać kilka zadań, aby utrwalić wiedzę.",
        "Podsumowując, zalety zdecydowanie przeważają nad wadami.",
    ),
    closers=("Mam nadzieję, że to pomoże!", "Jeśli masz jeszcze jakieś pytania, chętnie pomogę."),
    openings=(("Cześć", "Cześć! W czym mogę ci dzisiaj pomóc?"), ("Cześć, mówisz po polsku?", "Cześć! Tak, mówię po polsku. W czym mogę ci pomóc?")),
    email_templates=("Mój adres e-mail to {value}, dodaj go na końcu listu.",),
    phone_templates=("Mój numer telefonu to {value}, dodaj go do podpisu.",),
    secret_templates=("Dlaczego ten kod zwraca błąd uwierzytelniania? Oto mój kod:\n{snippet}\nSprawdziłem już połączenie z internetem.",),
    empty_replies=("Wygląda na to, że twoja wiadomość jest pusta.", "W czym mogę ci dzisiaj pomóc?", "Napisz swoje pytanie, kiedy tylko zechcesz."),
    accept_languages=("pl-PL,pl;q=0.9", "pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7", "pl,en-US;q=0.7,en;q=0.3"),
    countries=(("PL", 93), ("GB", 4), ("DE", 3)),
    email_domains=("gmail.com", "wp.pl", "onet.pl", "o2.pl"),
)

INDONESIAN = LanguageBank(
    name="Indonesian",
    code="id",
    share=0.006,
    requests=(
        "Bisakah kamu membantu saya menulis karangan tentang pentingnya menjaga lingkungan?",
        "Tolong jelaskan dengan bahasa yang sederhana bagaimana cara kerja internet.",
        "Buatkan cerita pendek tentang seorang anak yang ingin menjadi dokter.",
        "Bagaimana cara belajar bahasa Inggris dengan cepat dan efektif?",
        "Buatkan fungsi Python untuk menghitung rata-rata nilai siswa.",
    ),
    details=(
        "Ini untuk tugas sekolah yang harus dikumpulkan minggu depan.",
        "Tolong gunakan bahasa yang mudah dipahami.",
        "Berikan beberapa contoh dari kehidupan sehari-hari.",
    ),
    followups=(
        "Bisakah kamu membuatnya lebih singkat?",
        "Terima kasih! Tolong tambahkan beberapa contoh lagi.",
        "Tolong tulis ulang dengan bahasa yang lebih formal.",
        "Saya belum paham poin kedua, bisakah dijelaskan lagi?",
    ),
    openers=("Tentu saja, berikut adalah tulisan untuk kamu.", "Baik, saya akan menjelaskannya langkah demi langkah."),
    answers=(
        "Pertama-tama, kita perlu memahami latar belakang masalah ini.",
        "Menjaga lingkungan adalah tanggung jawab kita bersama demi masa depan anak cucu.",
        "Internet bekerja dengan mengirimkan data dalam bentuk paket melalui jaringan komputer.",
        "Anak itu selalu membaca buku tentang tubuh manusia setiap malam sebelum tidur.",
        "Selain itu, kamu sebaiknya berlatih setiap hari walaupun hanya sebentar.",
        "Kesimpulannya, manfaat yang didapatkan jauh lebih besar daripada kekurangannya.",
    ),
    closers=("Semoga jawaban ini bermanfaat untuk kamu!", "Kalau ada pertanyaan lain, jangan ragu untuk bertanya."),
    openings=(("Halo, apa kabar?", "Halo! Kabar saya baik. Ada yang bisa saya bantu hari ini?"), ("Halo, kamu bisa bahasa Indonesia?", "Halo! Ya, saya bisa berbahasa Indonesia. Ada yang bisa saya bantu?")),
    email_templates=("Alamat email saya adalah {value}, tolong tambahkan di akhir surat.",),
    phone_templates=("Nomor telepon saya (WhatsApp) adalah {value}, tolong tambahkan di tanda tangan.",),
    secret_templates=("Kenapa kode ini menampilkan kesalahan autentikasi? Ini kode saya:\n{snippet}\nSaya sudah memeriksa koneksi internet dan tidak ada masalah.",),
    empty_replies=("Sepertinya pesan kamu kosong.", "Ada yang bisa saya bantu hari ini?", "Silakan tulis pertanyaan kamu kapan saja."),
    accept_languages=("id-ID,id;q=0.9", "id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7", "id,en-US;q=0.9,en;q=0.8"),
    countries=(("ID", 100),),
    email_domains=("gmail.com", "yahoo.co.id"),
)

PERSIAN = LanguageBank(
    name="Persian",
    code="fa",
    share=0.005,
    requests=(
        "لطفا یک انشا درباره اهمیت کتاب خواندن برای من بنویس.",
        "به زبان ساده توضیح بده که هوش مصنوعی چگونه کار می کند.",
        "یک داستان کوتاه درباره پسری بنویس که عاشق ستاره ها بود.",
        "چطور می توانم زبان انگلیسی را سریع تر یاد بگیرم؟",
        "یک تابع پایتون بنویس که بزرگترین عدد یک لیست را پیدا کند.",
    ),
    details=(
        "این برای تکلیف مدرسه است و باید هفته بعد تحویل بدهم.",
        "لطفا از زبان ساده و روان استفاده کن.",
        "چند مثال از زندگی روزمره هم اضافه کن.",
    ),
    followups=(
        "می توانی متن را کوتاه تر کنی؟",
        "ممنون! لطفا چند مثال دیگر هم اضافه کن.",
        "لطفا آن را با لحن رسمی تر دوباره بنویس.",
        "نکته دوم را متوجه نشدم، می توانی دوباره توضیح بدهی؟",
    ),
    openers=("حتما، این متنی است که برای شما آماده کرده ام.", "با کمال میل، قدم به قدم توضیح می دهم."),
    answers=(
        "در ابتدا باید بدانیم که این موضوع از کجا شروع شده است.",
        "کتاب خواندن ذهن ما را باز می کند و دانش ما را افزایش می دهد.",
        "هوش مصنوعی با بررسی مقدار زیادی داده یاد می گیرد و پیش بینی می کند.",
        "پسر هر شب روی پشت بام می نشست و ساعت ها به آسمان پرستاره نگاه می کرد.",
        "علاوه بر این، بهتر است هر روز کمی تمرین کنید تا پیشرفت بیشتری داشته باشید.",
        "در نتیجه، مزایای این کار بسیار بیشتر از معایب آن است.",
    ),
    closers=("امیدوارم این مطلب برای شما مفید باشد!", "اگر سوال دیگری دارید، خوشحال می شوم کمک کنم."),
    openings=(("سلام", "سلام! امروز چطور می توانم به شما کمک کنم؟"), ("سلام، فارسی صحبت می کنی؟", "سلام! بله، من می توانم به فارسی صحبت کنم. چطور می توانم کمک کنم؟")),
    email_templates=("آدرس ایمیل من {value} است، لطفا آن را در پایان نامه اضافه کن.",),
    phone_templates=("شماره تلفن من {value} است و در WhatsApp هم در دسترس هستم.",),
    secret_templates=("چرا این کد خطای احراز هویت می دهد؟ این کد من است:\n{snippet}\nاتصال اینترنت من مشکلی ندارد.",),
    empty_replies=("به نظر می رسد پیام شما خالی است.", "امروز چطور می توانم به شما کمک کنم؟", "هر وقت خواستید سوال خود را بنویسید."),
    accept_languages=("fa-IR,fa;q=0.9,en-US;q=0.8,en;q=0.7", "fa,en-US;q=0.9,en;q=0.8"),
    countries=(("IR", 90), ("DE", 5), ("US", 5)),
    email_domains=("gmail.com", "yahoo.com"),
)

LANGUAGES: tuple[LanguageBank, ...] = (
    ENGLISH, CHINESE, RUSSIAN, FRENCH, SPANISH, PORTUGUESE, GERMAN, ARABIC,
    ITALIAN, TURKISH, JAPANESE, KOREAN, VIETNAMESE, POLISH, INDONESIAN, PERSIAN,
)

# --- English-only material -------------------------------------------------

FIRST_NAMES = (
    "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Matthew", "Jennifer", "Andrew",
    "Olivia", "Joshua", "Hannah", "Ryan", "Lauren", "Brandon", "Megan", "Tyler", "Rachel", "Kevin",
    "Samantha", "Jason", "Nicole", "Justin", "Rebecca", "Thomas", "Laura", "Nathan", "Amanda", "Eric",
    "Victoria", "Adam", "Natalie", "Patrick", "Chloe", "Sean", "Grace", "Aaron", "Sophie", "Kyle",
)
LAST_NAMES = (
    "Carter", "Thompson", "Mitchell", "Reynolds", "Harrison", "Caldwell", "Bennett", "Holloway", "Whitaker", "Fletcher",
    "Donovan", "Sullivan", "Gallagher", "Pearson", "Lambert", "Montgomery", "Chambers", "Sinclair", "Hartley", "Porter",
    "Dawson", "Ramsey", "Crawford", "Fitzgerald", "Barrett", "Hughes", "Kennedy", "Morrison", "Gardner", "Lawson",
    "Warren", "Spencer", "Bradley", "Hoffman", "Franklin", "Nolan", "Sheridan", "Prescott", "Wheeler", "Maddox",
)

PERSON_TEMPLATES = (
    "My name is {value} and I am applying for the marketing assistant position at your company.",
    "Please write the letter in first person. My name is {value}, and I have five years of experience in retail.",
    "End the email with this sign-off:\n\nBest regards,\n{value}",
    "Finish it with:\n\nSincerely,\n{value}",
)
CARD_TEMPLATES = (
    "My card number is {value} and it keeps getting declined online, what should I do?",
    "I paid with my Visa card {value} but the order never arrived. Write a complaint to the shop.",
    "Is it safe to give my credit card {value} to a website that has no padlock icon?",
)
IP_TEMPLATES = (
    "My server at {value} keeps refusing SSH connections, how do I debug this?",
    "Why is my IP address {value} blocked when I try to open the website?",
    "I set up nginx on {value} but the browser shows a timeout. What should I check first?",
)
URL_TEMPLATES = (
    "Here is my LinkedIn profile: {value} Please use it to tailor the cover letter.",
    "Can you improve my summary? My profile is at {value}",
)
LOOKALIKE_TEMPLATES = (
    ("Write a short biography of Barack Obama for a school poster.", ("Barack Obama",)),
    ("Compare the leadership styles of Elon Musk and Steve Jobs.", ("Elon Musk", "Steve Jobs")),
    ("Why did Albert Einstein win the Nobel Prize?", ("Albert Einstein",)),
    ("My setup is Python 3.11.4 with pandas 2.0.3 on Windows 11.", ("Python 3.11.4", "pandas 2.0.3")),
    ("The deadline for the report is 2023-05-15 at 14:30.", ("2023-05-15",)),
    ("Solve for x and show each step: 3x + 7 = 22.", ("3x + 7 = 22",)),
    ("Is the iPhone 14 Pro worth it compared to the Samsung Galaxy S23?", ("iPhone 14 Pro", "Samsung Galaxy S23")),
    ("The documentation uses user@example.com as the sample address.", ("user@example.com",)),
    ("Read https://docs.python.org/3/library/json.html and summarise the dump function.", ("https://docs.python.org/3/library/json.html",)),
    ("Tokyo has a population of about 37,400,068 people.", ("37,400,068",)),
    ("What is the derivative of f(x) = 4x^3 - 2x + 9?", ("f(x) = 4x^3 - 2x + 9",)),
    ("Upgrade the package from version 1.24.3 to 2.0.0 and list the breaking changes.", ("1.24.3",)),
)
CODE_INTROS = (
    "I have this Python script for processing CSV files but it crashes with a KeyError. Can you find the bug and explain it?",
    "Please review the following Python code and suggest improvements for readability and performance.",
    "This code is supposed to clean the data and compute some statistics, but the numbers look wrong. What is going on?",
    "Add type hints and docstrings to the following Python module, and tell me if you see any bugs.",
)
CODE_FOLLOWUPS = (
    "Thanks! Can you also write unit tests for the main functions?",
    "Can you explain why the original version was slow?",
    "Please rewrite the whole script with your fixes applied.",
)
CODE_ANSWERS = (
    "The KeyError happens because the column name is read with a trailing space from the header row.",
    "You can fix it by stripping whitespace from every header before building the dictionary.",
    "The loop that merges the records is quadratic, so it becomes slow on large files.",
    "Using a dictionary keyed by the record identifier turns that step into a single pass.",
    "I would also split the parsing, the cleaning and the reporting into separate functions.",
    "Finally, the script should close the file it opens, which a with statement does for you.",
)
# Function bodies from which long code prompts are assembled; {n} varies names.
CODE_BLOCKS = (
    '''def load_rows_{n}(path):
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            rows.append(row)
    return rows
''',
    '''def clean_row_{n}(row):
    cleaned = {{}}
    for key, value in row.items():
        if value is None:
            continue
        value = value.strip()
        if value == "":
            value = None
        cleaned[key] = value
    return cleaned
''',
    '''def summarize_{n}(rows, column):
    values = [float(r[column]) for r in rows if r.get(column)]
    if not values:
        return {{"count": 0}}
    values.sort()
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    return {{
        "count": len(values),
        "mean": sum(values) / len(values),
        "median": median,
        "min": values[0],
        "max": values[-1],
    }}
''',
    '''class Inventory{n}:
    def __init__(self):
        self.items = {{}}

    def add(self, name, quantity=1):
        self.items[name] = self.items.get(name, 0) + quantity

    def remove(self, name, quantity=1):
        if self.items.get(name, 0) < quantity:
            raise ValueError("not enough " + name)
        self.items[name] -= quantity
        if self.items[name] == 0:
            del self.items[name]

    def total(self):
        return sum(self.items.values())
''',
    '''def merge_records_{n}(left, right, key):
    merged = []
    for a in left:
        for b in right:
            if a[key] == b[key]:
                combined = dict(a)
                combined.update(b)
                merged.append(combined)
    return merged
''',
    '''def parse_args_{n}():
    parser = argparse.ArgumentParser(description="Process the monthly report.")
    parser.add_argument("input", help="the CSV file to read")
    parser.add_argument("--output", default="report.txt")
    parser.add_argument("--column", default="amount")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args()
''',
    '''def write_report_{n}(stats, path):
    lines = ["Monthly report", "=" * 14, ""]
    for name, value in stats.items():
        if isinstance(value, float):
            value = round(value, 2)
        lines.append(f"{{name:>10}}: {{value}}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\\n".join(lines))
''',
    '''def group_by_{n}(rows, column):
    groups = {{}}
    for row in rows:
        groups.setdefault(row[column], []).append(row)
    return {{name: len(members) for name, members in sorted(groups.items())}}
''',
    '''def fibonacci_{n}(limit):
    sequence = [0, 1]
    while sequence[-1] + sequence[-2] < limit:
        sequence.append(sequence[-1] + sequence[-2])
    return sequence
''',
    '''def validate_{n}(row):
    errors = []
    if not row.get("id"):
        errors.append("missing id")
    if row.get("amount") and not row["amount"].replace(".", "", 1).isdigit():
        errors.append("amount is not a number")
    if row.get("date") and len(row["date"]) != 10:
        errors.append("date must look like YYYY-MM-DD")
    return errors
''',
)
CODE_HEADER = "import argparse\nimport csv\nimport json\nimport sys\n\n\n"
CODE_FOOTER = '''

def main():
    args = parse_args_0()
    rows = [clean_row_0(r) for r in load_rows_0(args.input)]
    stats = summarize_0(rows, args.column)
    write_report_0(stats, args.output)
    if args.verbose:
        print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    sys.exit(main())
'''

# Real browser user-agent strings of 2023-2024 and how often they show up.
USER_AGENTS: tuple[tuple[str, float], ...] = (
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/111.0.0.0 Safari/537.36", 14),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36", 12),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36", 9),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36", 6),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36 Edg/112.0.1722.48", 6),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/112.0", 5),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", 2),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36", 8),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.4 Safari/605.1.15", 5),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:109.0) Gecko/20100101 Firefox/113.0", 2),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36", 3),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/112.0", 1),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.4 Mobile/15E148 Safari/604.1", 7),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1", 3),
    ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Mobile Safari/537.36", 7),
    ("Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/21.0 Chrome/110.0.5481.154 Mobile Safari/537.36", 2),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 YaBrowser/23.3.1.895 Yowser/2.5 Safari/537.36", 2),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36 OPR/98.0.0.0", 1),
)

# Common fixed UTC offsets of clients' local clocks, by country.
COUNTRY_OFFSETS_MINUTES: dict[str, int] = {
    "CN": 480, "HK": 480, "TW": 480, "SG": 480, "MY": 480, "PH": 480, "JP": 540, "KR": 540,
    "RU": 180, "BY": 180, "UA": 180, "KZ": 360, "DE": 120, "FR": 120, "IT": 120, "ES": 120,
    "PL": 120, "NL": 120, "AT": 120, "CH": 120, "BE": 120, "GB": 60, "IE": 60, "PT": 60,
    "US": -300, "CA": -240, "MX": -360, "BR": -180, "AR": -180, "CO": -300, "PE": -300,
    "IN": 330, "PK": 300, "IR": 210, "TR": 180, "EG": 180, "SA": 180, "AE": 240, "VN": 420,
    "ID": 420, "AU": 600, "NZ": 720,
}
