"""French, Spanish, Portuguese, German, Italian and Polish."""

from __future__ import annotations

from wildchat_dagster.kit.synthetic.language_bank import LanguageBank

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
    openers=(
        "Bien sûr, voici une proposition.",
        "Avec plaisir, voici une explication détaillée.",
        "Très bonne question, je vais vous expliquer.",
    ),
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
    closers=(
        "J'espère que cela vous aidera !",
        "N'hésitez pas si vous avez d'autres questions.",
        "Dites-moi si vous souhaitez des modifications.",
    ),
    openings=(
        ("Bonjour", "Bonjour ! Comment puis-je vous aider aujourd'hui ?"),
        ("Salut, tu parles français ?", "Bonjour ! Oui, je parle français. Comment puis-je vous aider aujourd'hui ?"),
    ),
    email_templates=(
        "Mon adresse e-mail est {value}, ajoute-la à la fin de la lettre.",
        "Envoie-moi la version finale à {value} s'il te plaît.",
    ),
    phone_templates=(
        "Mon numéro de téléphone est le {value}, ajoute-le dans la signature.",
        "Tu peux me joindre sur WhatsApp au {value}.",
    ),
    secret_templates=(
        (
            "Pourquoi ce code renvoie une erreur d'authentification ? Voici mon code :\n{snippet}\nJ'ai déjà vérifié "
            "ma connexion internet."
        ),
    ),
    empty_replies=(
        "Il semble que votre message soit vide.",
        "Comment puis-je vous aider aujourd'hui ?",
        "N'hésitez pas à poser votre question quand vous voulez.",
    ),
    accept_languages=(
        "fr-FR,fr;q=0.9",
        "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
        "fr-CA,fr;q=0.9,en;q=0.8",
        "fr-BE,fr;q=0.9,nl;q=0.8,en;q=0.7",
        "fr-CH,fr;q=0.9,de;q=0.8",
    ),
    countries=(("FR", 72), ("CA", 8), ("BE", 7), ("CH", 5), ("MA", 4), ("DZ", 2), ("TN", 2)),
    toxic=("T'es vraiment con, putain, réponds à la question au lieu de raconter des conneries.",),
    calm_replies=(
        "Je suis désolé que ma réponse précédente ne vous ait pas aidé.",
        "Dites-moi ce qui ne va pas et je vais corriger.",
    ),
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
    openers=(
        "¡Claro! Aquí tienes una propuesta.",
        "Por supuesto, te lo explico con detalle.",
        "¡Qué buena pregunta! Vamos a verlo con calma.",
    ),
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
    closers=(
        "¡Espero que te sea útil!",
        "Si tienes más preguntas, aquí estoy para ayudarte.",
        "Dime si quieres que cambie algo.",
    ),
    openings=(
        ("Hola", "¡Hola! ¿En qué puedo ayudarte hoy?"),
        ("Hola, ¿hablas español?", "¡Hola! Sí, hablo español. ¿En qué puedo ayudarte hoy?"),
    ),
    email_templates=(
        "Mi correo electrónico es {value}, ponlo al final de la carta.",
        "Envíame la versión final a {value}, por favor.",
    ),
    phone_templates=(
        "Mi número de teléfono es {value}, agrégalo a la firma.",
        "Puedes escribirme por WhatsApp al {value}.",
    ),
    secret_templates=(
        (
            "¿Por qué este código me da un error de autenticación? Aquí está mi código:\n{snippet}\nYa revisé mi "
            "conexión a internet y funciona bien."
        ),
    ),
    empty_replies=(
        "Parece que tu mensaje está vacío.",
        "¿En qué puedo ayudarte hoy?",
        "Escribe tu pregunta cuando quieras y te responderé.",
    ),
    accept_languages=(
        "es-ES,es;q=0.9",
        "es-MX,es;q=0.9,en;q=0.8",
        "es-AR,es;q=0.9",
        "es-419,es;q=0.9,en;q=0.8",
        "es-CO,es;q=0.9,en-US;q=0.8,en;q=0.7",
    ),
    countries=(
        ("ES", 28),
        ("MX", 22),
        ("AR", 12),
        ("CO", 10),
        ("CL", 8),
        ("PE", 6),
        ("US", 6),
        ("VE", 4),
        ("EC", 2),
        ("UY", 2),
    ),
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
    closers=(
        "Espero que isso ajude!",
        "Se tiver mais dúvidas, é só perguntar.",
        "Me avise se quiser alguma alteração.",
    ),
    openings=(
        ("Olá", "Olá! Como posso ajudar você hoje?"),
        ("Oi, você fala português?", "Olá! Sim, eu falo português. Como posso ajudar você hoje?"),
    ),
    email_templates=(
        "Meu e-mail é {value}, coloque no final da mensagem.",
        "Envie a versão final para {value}, por favor.",
    ),
    phone_templates=("Meu telefone é {value}, adicione na assinatura.", "Pode me chamar no WhatsApp: {value}."),
    secret_templates=(
        (
            "Por que esse código dá erro de autenticação? Aqui está o meu código:\n{snippet}\nJá verifiquei a minha "
            "conexão com a internet."
        ),
    ),
    empty_replies=(
        "Parece que sua mensagem está vazia.",
        "Como posso ajudar você hoje?",
        "Fique à vontade para escrever a sua pergunta.",
    ),
    accept_languages=("pt-BR,pt;q=0.9", "pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", "pt-PT,pt;q=0.9,en;q=0.8"),
    countries=(("BR", 85), ("PT", 15)),
    toxic=("Você é um idiota do caralho, essa resposta está toda errada, porra.",),
    calm_replies=(
        "Sinto muito que minha resposta anterior não tenha ajudado.",
        "Diga o que está errado e eu vou corrigir.",
    ),
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
    openers=(
        "Natürlich, hier ist ein Vorschlag.",
        "Gerne, ich erkläre es Schritt für Schritt.",
        "Gute Frage, schauen wir uns das genauer an.",
    ),
    answers=(
        "Zunächst ist es wichtig, den Hintergrund dieses Themas zu verstehen.",
        "Jeder Absatz sollte einen Hauptgedanken enthalten und mit Beispielen belegt werden.",
        "Im Motor wird ein Gemisch aus Kraftstoff und Luft verdichtet und anschließend gezündet.",
        (
            "Viele Experten sind der Meinung, dass regelmäßiges Lernen wirkungsvoller ist als kurze Phasen intensiver "
            "Arbeit."
        ),
        "Die Funktion merkt sich alle bereits gesehenen Elemente und überspringt Wiederholungen.",
        "Der kleine Fuchs lief durch den tiefen Schnee und suchte einen warmen Platz für die Nacht.",
        "Außerdem solltest du abends auf Bildschirme verzichten und regelmäßig zur gleichen Zeit ins Bett gehen.",
        "Zusammenfassend lässt sich sagen, dass die Vorteile deutlich überwiegen.",
        "Diese Methode ist einfach umzusetzen und funktioniert in den meisten Situationen.",
    ),
    closers=(
        "Ich hoffe, das hilft dir weiter!",
        "Wenn du noch Fragen hast, helfe ich gerne.",
        "Sag mir Bescheid, wenn ich etwas ändern soll.",
    ),
    openings=(
        ("Hallo, wie geht es dir?", "Hallo! Mir geht es gut, danke. Wie kann ich dir heute helfen?"),
        ("Hallo, sprichst du Deutsch?", "Hallo! Ja, ich spreche Deutsch. Wie kann ich dir heute helfen?"),
    ),
    email_templates=(
        "Meine E-Mail-Adresse ist {value}, bitte füge sie am Ende des Schreibens ein.",
        "Schick mir die fertige Version bitte an {value}.",
    ),
    phone_templates=(
        "Meine Telefonnummer ist {value}, bitte schreib sie in die Signatur.",
        "Du erreichst mich auch per WhatsApp unter {value}.",
    ),
    secret_templates=(
        (
            "Warum bekomme ich bei diesem Code einen Authentifizierungsfehler? Hier ist mein Code:\n{snippet}\nMeine "
            "Internetverbindung funktioniert einwandfrei."
        ),
    ),
    empty_replies=(
        "Deine Nachricht scheint leer zu sein.",
        "Wie kann ich dir heute helfen?",
        "Schreib mir einfach deine Frage, wenn du so weit bist.",
    ),
    accept_languages=(
        "de-DE,de;q=0.9",
        "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
        "de-AT,de;q=0.9,en;q=0.8",
        "de-CH,de;q=0.9,fr;q=0.8,en;q=0.7",
    ),
    countries=(("DE", 76), ("AT", 12), ("CH", 12)),
    toxic=("Du bist ein verdammter Idiot, die Antwort ist totale Scheiße.",),
    calm_replies=(
        "Es tut mir leid, dass meine vorherige Antwort nicht geholfen hat.",
        "Sag mir bitte, was falsch ist, dann korrigiere ich es.",
    ),
    email_domains=("gmx.de", "web.de", "gmail.com", "t-online.de"),
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
    openers=(
        "Certo, ecco una proposta.",
        "Volentieri, te lo spiego nel dettaglio.",
        "Ottima domanda, vediamo insieme.",
    ),
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
    openings=(
        ("Ciao", "Ciao! Come posso aiutarti oggi?"),
        ("Ciao, parli italiano?", "Ciao! Sì, parlo italiano. Come posso aiutarti oggi?"),
    ),
    email_templates=("La mia email è {value}, aggiungila alla fine della lettera.",),
    phone_templates=("Il mio numero di telefono è {value}, inseriscilo nella firma.",),
    secret_templates=(
        (
            "Perché questo codice mi dà un errore di autenticazione? Ecco il mio codice:\n{snippet}\nHo già "
            "controllato la connessione a internet."
        ),
    ),
    empty_replies=(
        "Sembra che il tuo messaggio sia vuoto.",
        "Come posso aiutarti oggi?",
        "Scrivi pure la tua domanda quando vuoi.",
    ),
    accept_languages=("it-IT,it;q=0.9", "it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7", "it,en;q=0.9"),
    countries=(("IT", 95), ("CH", 5)),
    toxic=("Sei un coglione, la risposta è completamente sbagliata, cazzo.",),
    calm_replies=(
        "Mi dispiace che la mia risposta precedente non ti sia stata utile.",
        "Dimmi cosa non va e lo correggerò.",
    ),
    email_domains=("gmail.com", "libero.it", "hotmail.it", "virgilio.it"),
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
    openings=(
        ("Cześć", "Cześć! W czym mogę ci dzisiaj pomóc?"),
        ("Cześć, mówisz po polsku?", "Cześć! Tak, mówię po polsku. W czym mogę ci pomóc?"),
    ),
    email_templates=("Mój adres e-mail to {value}, dodaj go na końcu listu.",),
    phone_templates=("Mój numer telefonu to {value}, dodaj go do podpisu.",),
    secret_templates=(
        (
            "Dlaczego ten kod zwraca błąd uwierzytelniania? Oto mój kod:\n{snippet}\nSprawdziłem już połączenie z "
            "internetem."
        ),
    ),
    empty_replies=(
        "Wygląda na to, że twoja wiadomość jest pusta.",
        "W czym mogę ci dzisiaj pomóc?",
        "Napisz swoje pytanie, kiedy tylko zechcesz.",
    ),
    accept_languages=("pl-PL,pl;q=0.9", "pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7", "pl,en-US;q=0.7,en;q=0.3"),
    countries=(("PL", 93), ("GB", 4), ("DE", 3)),
    email_domains=("gmail.com", "wp.pl", "onet.pl", "o2.pl"),
)
