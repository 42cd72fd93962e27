"""Arabic, Turkish, Japanese, Korean, Vietnamese, Indonesian and Persian."""

from __future__ import annotations

from wildchat_dagster.kit.synthetic.language_bank import LanguageBank

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
    openings=(
        ("مرحبا، كيف حالك؟", "مرحبا! أنا بخير، شكرا لك. كيف يمكنني مساعدتك اليوم؟"),
        ("السلام عليكم", "وعليكم السلام! كيف يمكنني مساعدتك اليوم؟"),
    ),
    email_templates=("بريدي الإلكتروني هو {value}، من فضلك أضفه في نهاية الرسالة.",),
    phone_templates=("رقم هاتفي هو {value}، ويمكنك أيضا مراسلتي على WhatsApp.",),
    secret_templates=(
        (
            "لماذا يظهر خطأ في المصادقة عند تشغيل هذا الكود؟ هذا هو الكود الخاص بي:\n{snippet}\nلقد تأكدت من أن "
            "الاتصال بالإنترنت يعمل بشكل جيد."
        ),
    ),
    empty_replies=("يبدو أن رسالتك فارغة.", "كيف يمكنني مساعدتك اليوم؟", "اكتب سؤالك متى شئت وسأحاول الإجابة."),
    accept_languages=(
        "ar,en-US;q=0.9,en;q=0.8",
        "ar-EG,ar;q=0.9,en-US;q=0.8,en;q=0.7",
        "ar-SA,ar;q=0.9,en;q=0.8",
        "ar-MA,ar;q=0.9,fr;q=0.8",
    ),
    countries=(("EG", 25), ("SA", 22), ("AE", 10), ("MA", 10), ("DZ", 8), ("IQ", 5), ("JO", 5), ("KW", 5), ("TN", 5)),
    email_domains=("gmail.com", "hotmail.com", "yahoo.com"),
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
    openings=(
        ("Merhaba", "Merhaba! Bugün size nasıl yardımcı olabilirim?"),
        ("Merhaba, Türkçe biliyor musun?", "Merhaba! Evet, Türkçe konuşabiliyorum. Size nasıl yardımcı olabilirim?"),
    ),
    email_templates=("E-posta adresim {value}, lütfen mektubun sonuna ekle.",),
    phone_templates=("Telefon numaram {value}, lütfen imzaya ekle.",),
    secret_templates=(
        (
            "Bu kodu çalıştırdığımda neden kimlik doğrulama hatası alıyorum? İşte kodum:\n{snippet}\nİnternet "
            "bağlantımı kontrol ettim, sorun yok."
        ),
    ),
    empty_replies=(
        "Mesajınız boş görünüyor.",
        "Bugün size nasıl yardımcı olabilirim?",
        "Sorunuzu istediğiniz zaman yazabilirsiniz.",
    ),
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
    openers=(
        "もちろんです。以下のような内容はいかがでしょうか。",
        "承知しました。順番に説明します。",
        "良い質問ですね。詳しく見ていきましょう。",
    ),
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
    openings=(
        ("こんにちは", "こんにちは！今日はどのようなお手伝いができますか？"),
        ("日本語で話せますか？", "はい、日本語でお話しできます。どのようなお手伝いができますか？"),
    ),
    email_templates=("私のメールアドレスは{value}です。メールの最後に入れてください。",),
    phone_templates=("私の電話番号（TEL）は{value}です。署名に追加してください。",),
    secret_templates=(
        "このコードを実行すると認証エラーが出ます。原因を教えてください。\n{snippet}\nインターネット接続は問題ありません。",
    ),
    empty_replies=(
        "メッセージが空のようです。",
        "今日はどのようなお手伝いができますか？",
        "ご質問があればいつでもどうぞ。",
    ),
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
    openings=(
        ("안녕하세요", "안녕하세요! 오늘 무엇을 도와드릴까요?"),
        ("한국어 할 줄 알아요?", "네, 한국어로 대화할 수 있습니다. 무엇을 도와드릴까요?"),
    ),
    email_templates=("제 이메일 주소는 {value}입니다. 편지 마지막에 넣어 주세요.",),
    phone_templates=("제 전화번호(tel)는 {value}입니다. 서명에 추가해 주세요.",),
    secret_templates=(
        (
            "이 코드를 실행하면 인증 오류가 발생합니다. 원인이 무엇인지 알려 주세요.\n{snippet}\n인터넷 연결은 문제가 "
            "없습니다."
        ),
    ),
    empty_replies=(
        "메시지가 비어 있는 것 같습니다.",
        "오늘 무엇을 도와드릴까요?",
        "궁금한 점이 있으면 언제든지 질문해 주세요.",
    ),
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
    openings=(
        ("Xin chào", "Xin chào! Tôi có thể giúp gì cho bạn hôm nay?"),
        ("Bạn có nói tiếng Việt không?", "Có, tôi có thể trò chuyện bằng tiếng Việt. Tôi có thể giúp gì cho bạn?"),
    ),
    email_templates=("Email của tôi là {value}, hãy thêm vào cuối thư nhé.",),
    phone_templates=("Số điện thoại của tôi (Zalo, WhatsApp) là {value}, hãy thêm vào chữ ký.",),
    secret_templates=(
        (
            "Tại sao đoạn mã này báo lỗi xác thực? Đây là mã của tôi:\n{snippet}\nTôi đã kiểm tra kết nối mạng và "
            "không có vấn đề gì."
        ),
    ),
    empty_replies=(
        "Có vẻ như tin nhắn của bạn đang trống.",
        "Tôi có thể giúp gì cho bạn hôm nay?",
        "Bạn cứ đặt câu hỏi bất cứ lúc nào nhé.",
    ),
    accept_languages=("vi-VN,vi;q=0.9", "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi,en-US;q=0.9,en;q=0.8"),
    countries=(("VN", 95), ("US", 5)),
    email_domains=("gmail.com", "yahoo.com"),
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
    openings=(
        ("Halo, apa kabar?", "Halo! Kabar saya baik. Ada yang bisa saya bantu hari ini?"),
        ("Halo, kamu bisa bahasa Indonesia?", "Halo! Ya, saya bisa berbahasa Indonesia. Ada yang bisa saya bantu?"),
    ),
    email_templates=("Alamat email saya adalah {value}, tolong tambahkan di akhir surat.",),
    phone_templates=("Nomor telepon saya (WhatsApp) adalah {value}, tolong tambahkan di tanda tangan.",),
    secret_templates=(
        (
            "Kenapa kode ini menampilkan kesalahan autentikasi? Ini kode saya:\n{snippet}\nSaya sudah memeriksa "
            "koneksi internet dan tidak ada masalah."
        ),
    ),
    empty_replies=(
        "Sepertinya pesan kamu kosong.",
        "Ada yang bisa saya bantu hari ini?",
        "Silakan tulis pertanyaan kamu kapan saja.",
    ),
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
    openings=(
        ("سلام", "سلام! امروز چطور می توانم به شما کمک کنم؟"),
        ("سلام، فارسی صحبت می کنی؟", "سلام! بله، من می توانم به فارسی صحبت کنم. چطور می توانم کمک کنم؟"),
    ),
    email_templates=("آدرس ایمیل من {value} است، لطفا آن را در پایان نامه اضافه کن.",),
    phone_templates=("شماره تلفن من {value} است و در WhatsApp هم در دسترس هستم.",),
    secret_templates=("چرا این کد خطای احراز هویت می دهد؟ این کد من است:\n{snippet}\nاتصال اینترنت من مشکلی ندارد.",),
    empty_replies=(
        "به نظر می رسد پیام شما خالی است.",
        "امروز چطور می توانم به شما کمک کنم؟",
        "هر وقت خواستید سوال خود را بنویسید.",
    ),
    accept_languages=("fa-IR,fa;q=0.9,en-US;q=0.8,en;q=0.7", "fa,en-US;q=0.9,en;q=0.8"),
    countries=(("IR", 90), ("DE", 5), ("US", 5)),
    email_domains=("gmail.com", "yahoo.com"),
)
