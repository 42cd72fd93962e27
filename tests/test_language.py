"""language_tagged_conversations: fastText lid.176 with WildChat's names, samples, real texts."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from wildchat_dagster.assets.language.language import language_tagged_conversations
from wildchat_dagster.core.language.detection import conversation_language, tag_languages
from wildchat_dagster.core.language.samples import MAX_SAMPLE_CHARS, SHORT_SAMPLE_CHARS, prediction_sample
from wildchat_dagster.core.language.scripts import (
    LANGUAGE_NAMES,
    LANGUAGE_SCRIPTS,
    NOLANG,
    choose_language,
    single_script,
)
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.resources.language_detector import LanguageDetector
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import LANGUAGE_TAGGED_CONVERSATIONS

from factories import conversation_record

MONTH = "2023-04"

# Short natural requests, as users write them.
PARAGRAPHS = {
    "English": (
        "I have been trying to learn how to bake bread at home, but my loaves always come out dense and flat. Could "
        "you explain what I might be doing wrong with the yeast and the kneading?"
    ),
    "French": (
        "Je voudrais organiser un petit voyage en Bretagne avec ma famille au mois de juin. Pouvez-vous me conseiller "
        "quelques villages au bord de la mer et des restaurants où l'on mange bien ?"
    ),
    "German": (
        "Ich schreibe gerade meine Bachelorarbeit über erneuerbare Energien und brauche Hilfe bei der Gliederung. "
        "Kannst du mir sagen, welche Kapitel unbedingt in die Einleitung gehören?"
    ),
    "Spanish": (
        "Mañana tengo una entrevista de trabajo en una empresa de tecnología y estoy bastante nervioso. ¿Qué "
        "preguntas suelen hacer y cómo puedo prepararme para responder con seguridad?"
    ),
    "Portuguese": (
        "Estou tentando aprender a tocar violão sozinho, mas sinto dores nos dedos depois de poucos minutos. Isso é "
        "normal no começo ou estou fazendo alguma coisa errada com a postura?"
    ),
    "Italian": (
        "Vorrei preparare una cena speciale per il compleanno di mia madre. Mi puoi suggerire un menù con un "
        "antipasto, un primo piatto e un dolce che non siano troppo difficili da cucinare?"
    ),
    "Russian": (
        "Помоги мне, пожалуйста, составить план подготовки к экзамену по истории. У меня осталось всего две недели, а "
        "тем очень много, и я не знаю, с чего лучше начать."
    ),
    "Chinese": (
        "我最近在准备研究生入学考试，每天都觉得时间不够用。你能帮我制定一个合理的复习计划吗？"
        "我需要复习数学、英语和专业课三门科目。"
    ),
    "Japanese": (
        "来月から東京で一人暮らしを始める予定です。"
        "家賃を抑えながら、通勤に便利な地域を探しているのですが、どの辺りがおすすめでしょうか。"
    ),
    "Korean": (
        "요즘 잠을 잘 못 자서 낮에 너무 피곤해요. 건강하게 수면 습관을 바꿀 수 있는 방법을 몇 가지 알려 주실 수 "
        "있나요?"
    ),
    "Arabic": (
        "أريد أن أتعلم البرمجة من البداية، لكنني لا أعرف أي لغة يجب أن أبدأ بها. هل يمكنك أن تنصحني بلغة سهلة ومفيدة "
        "للمبتدئين؟"
    ),
    "Turkish": (
        "Önümüzdeki hafta sonu arkadaşlarımla kamp yapmaya gideceğiz. Yanımıza hangi malzemeleri almamız gerektiğini "
        "ve nelere dikkat etmemiz gerektiğini söyler misin?"
    ),
    "Vietnamese": (
        "Tôi đang muốn mở một quán cà phê nhỏ ở gần trường đại học. Bạn có thể giúp tôi lên kế hoạch kinh doanh và "
        "ước tính chi phí ban đầu không?"
    ),
    "Polish": (
        "Chciałbym nauczyć się pływać, chociaż mam już trzydzieści lat i trochę się boję wody. Jak najlepiej zacząć i "
        "czy warto zapisać się na lekcje z instruktorem?"
    ),
    "Ukrainian": (
        "Допоможіть мені написати лист до орендодавця з проханням полагодити опалення в квартирі. Вже тиждень у "
        "кімнатах дуже холодно, а він не відповідає на дзвінки."
    ),
    "Persian": (
        "من می‌خواهم زبان انگلیسی را بهتر یاد بگیرم تا بتوانم در دانشگاه خارج از کشور ادامه تحصیل بدهم. چه روش‌هایی "
        "برای تقویت مکالمه پیشنهاد می‌کنید؟"
    ),
    "Dutch": (
        "Ik wil graag mijn tuin opnieuw inrichten met meer bloemen die goed zijn voor bijen en vlinders. Welke "
        "planten raad je aan voor een zonnige plek met zandgrond?"
    ),
    "Indonesian": (
        "Saya sedang mencari ide untuk hadiah ulang tahun sahabat saya yang suka membaca dan minum kopi. Apakah kamu "
        "punya saran hadiah yang unik tetapi tidak terlalu mahal?"
    ),
    "Greek": (
        "Θα ήθελα να επισκεφτώ την Κρήτη το καλοκαίρι με την οικογένειά μου. Ποια χωριά και παραλίες μας προτείνετε "
        "για ήσυχες διακοπές;"
    ),
    "Hindi": (
        "मैं अपने छोटे व्यवसाय के लिए एक वेबसाइट बनाना चाहता हूँ, लेकिन मुझे तकनीकी जानकारी बहुत कम है। क्या आप मुझे "
        "सरल तरीके से शुरुआत करने के बारे में बता सकते हैं?"
    ),
}


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector.from_defaults()


def _language(detector: LanguageDetector, text: str | None) -> str:
    (row,), _ = tag_languages([{"conversation": [{"role": "user", "content": text}]}], detector.predict)
    return row["conversation"][0]["language"]


# --- the model and its labels ------------------------------------------------------------


def test_every_lid176_label_has_a_name(detector):
    assert len(LANGUAGE_NAMES) == 176
    assert len(set(LANGUAGE_NAMES.values())) == 176
    assert set(LANGUAGE_SCRIPTS) == set(LANGUAGE_NAMES)
    seen: set[str] = set()
    model = detector._loaded()
    for text in ["hello", "x", "粵語", "Allinllachu", "coi", "Dydh da", *PARAGRAPHS.values()]:
        labels, _ = model.predict(" ".join(text.split()), k=500)
        seen |= {label.removeprefix("__label__") for label in labels}
    assert len(seen) >= 170 and seen <= set(LANGUAGE_NAMES)
    for code, name in {"en": "English", "zh": "Chinese", "fa": "Persian", "tl": "Tagalog", "sl": "Slovene"}.items():
        assert LANGUAGE_NAMES[code] == name


def test_predict_gives_what_fasttext_predict_gives(detector):
    """The resource calls fastText's binding directly: the same labels and probabilities."""
    model = detector._loaded()
    samples = [" ".join(text.split()) for text in PARAGRAPHS.values()] + ["繼續", "x"]
    for sample, candidates in zip(samples, detector.predict(samples), strict=True):
        labels, probabilities = model.predict(sample, k=3)
        codes = [label.removeprefix("__label__") for label in labels]
        assert candidates == list(zip(codes, probabilities, strict=True))
    with pytest.raises(ValueError, match="one line"):
        detector.predict(["two\nlines"])


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        LanguageDetector(model_path=str(tmp_path / "lid.176.bin")).predict(["hello"])


def test_describe_names_the_model(detector):
    described = detector.describe()
    assert described["model_name"] == "lid.176.ftz"
    assert len(described["model_sha256"]) == 64


# --- texts -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", sorted(PARAGRAPHS))
def test_paragraphs_in_twenty_languages(detector, language):
    assert _language(detector, PARAGRAPHS[language]) == language


def test_multiline_text_in_several_languages_at_once(detector):
    rows = [
        {"conversation": [{"role": "user", "content": text.replace(", ", ",\n\n")}]} for text in PARAGRAPHS.values()
    ]
    tagged, counts = tag_languages(rows, detector.predict)
    assert [r["language"] for r in tagged] == list(PARAGRAPHS)
    assert counts.utterances == len(PARAGRAPHS) and counts.nolang_utterances == 0


@pytest.mark.parametrize("content", [None, "", "   ", "\n\t \n", "12345 67890", "?!... ---"])
def test_nolang_for_content_without_letters(detector, content):
    assert _language(detector, content) == NOLANG


def test_very_long_text_gets_a_bounded_single_line_sample(detector):
    text = "\n".join([PARAGRAPHS["German"]] * 2000)  # ~360,000 characters
    sample, _ = prediction_sample(text)
    assert len(sample) <= MAX_SAMPLE_CHARS and "\n" not in sample
    assert _language(detector, text) == "German"
    # Start, middle and end all contribute.
    mixed = PARAGRAPHS["French"] * 30 + PARAGRAPHS["Italian"] * 300 + PARAGRAPHS["Spanish"] * 30
    sample, _ = prediction_sample(mixed)
    assert "Bretagne" in sample and "antipasto" in sample and "entrevista" in sample


def test_code_is_left_out_before_predicting(detector):
    chinese_with_code = (
        "请帮我看看这段代码为什么会报错，我已经检查了很久还是找不到问题在哪里。\n"
        "```python\nimport numpy as np\n\ndef normalize(values):\n    total = np.sum(values)\n"
        "    return [v / total for v in values]\n\nprint(normalize([1, 2, 3]))\n```\n"
        "运行以后提示除数为零。"
    )
    sample, stripped = prediction_sample(chinese_with_code)
    assert stripped and "numpy" not in sample and "请帮我" in sample
    assert _language(detector, chinese_with_code) == "Chinese"

    russian_unfenced = (
        "Исправь, пожалуйста, ошибку в этом коде, программа падает при запуске:\n"
        "import pandas as pd\n"
        "df = pd.read_csv('data.csv')\n"
        "df['total'] = df['price'] * df['quantity']\n"
        "for i in range(len(df)) {\n"
        "print(df.head());\n"
        "Что я делаю не так?"
    )
    sample, stripped = prediction_sample(russian_unfenced)
    assert stripped and "read_csv" not in sample
    assert _language(detector, russian_unfenced) == "Russian"


def test_code_only_content_still_gets_a_language(detector):
    code = "```\ndef add(a, b):\n    return a + b\n```"
    sample, stripped = prediction_sample(code)
    assert "return a + b" in sample and not stripped  # nothing but code: the code is the sample
    assert _language(detector, code) in LANGUAGE_NAMES.values()


def test_mixed_scripts(detector):
    # lid.176.ftz says "English" for this two-character Traditional Chinese reply.
    assert detector.predict(["繼續"])[0][0][0] != "zh"
    assert _language(detector, "繼續") == "Chinese"
    assert _language(detector, "日本語") == "Japanese"
    assert _language(detector, "Translate to English: 我今天很高兴，因为天气很好，我们去公园散步了。") == "Chinese"
    english_with_a_name = PARAGRAPHS["English"] + " My teacher 王老师 said it is the flour."
    assert _language(detector, english_with_a_name) == "English"
    # A candidate in a script the text does not use is passed over.
    assert choose_language("Привет, как дела?", [("en", 0.5), ("ru", 0.4)]) == "ru"
    assert choose_language("これはペンです", [("zh", 0.6), ("ja", 0.3)]) == "ja"
    assert choose_language("Hello there", [("ru", 0.5), ("en", 0.3)]) == "en"
    # Chinese that quotes a Japanese word stays Chinese; kanji-heavy Japanese is Japanese.
    quoting = "这个词在日语里是「ありがとう」的意思，我们今天学习了很多新的汉字和语法，非常有意思。"
    assert choose_language(quoting, [("zh", 0.9), ("ja", 0.1)]) == "zh"
    assert choose_language("東京都の人口は増加している", [("zh", 0.9), ("ja", 0.1)]) == "ja"


def test_conversation_language_is_the_most_frequent_turn_language():
    def turns(*languages, roles=None):
        roles = roles or ["user", "assistant"] * len(languages)
        # roles outnumber languages by design: the extra roles get no language
        return [{"role": r, "language": lang} for r, lang in zip(roles, languages, strict=False)]

    assert conversation_language(turns("French", "English", "French")) == "French"
    assert conversation_language(turns(NOLANG, NOLANG, "German")) == "German"
    assert conversation_language(turns(NOLANG, NOLANG)) == NOLANG
    assert conversation_language([]) == NOLANG
    # A tie: the language of more user turns, then the earliest.
    assert conversation_language(turns("Spanish", "English")) == "Spanish"
    assert conversation_language(turns("English", "Spanish", roles=["assistant", "user"])) == "Spanish"


def test_identical_texts_are_predicted_once(detector):
    calls: list[int] = []

    def counting_predict(samples):
        calls.append(len(samples))
        return detector.predict(samples)

    rows = [{"conversation": [{"role": "user", "content": "continue"}, {"role": "assistant", "content": "Sure."}]}] * 50
    tagged, counts = tag_languages(rows, counting_predict)
    assert sum(calls) == 2 and counts.distinct_samples_predicted == 2
    assert counts.utterances == 100
    assert all(r["language"] == "English" for r in tagged)


def test_long_texts_are_predicted_on_a_short_sample_first(detector):
    calls: list[list[str]] = []

    def recording_predict(samples):
        calls.append(samples)
        return detector.predict(samples)

    german = " ".join([PARAGRAPHS["German"]] * 8)  # one language, one script: settled by the short sample
    mixed = " ".join([PARAGRAPHS["Russian"], PARAGRAPHS["English"]] * 4)  # two scripts: the whole sample too
    rows = [{"conversation": [{"role": "user", "content": t}]} for t in (german, mixed, PARAGRAPHS["French"])]
    tagged, _ = tag_languages(rows, recording_predict)
    assert [r["language"] for r in tagged] == ["German", "Russian", "French"]
    first, second = calls
    assert len(first) == 3 and all(len(s) <= SHORT_SAMPLE_CHARS for s in first)
    assert first[2] == prediction_sample(PARAGRAPHS["French"])[0]  # a short text is its own short sample
    assert second == [prediction_sample(mixed)[0]] and len(second[0]) > SHORT_SAMPLE_CHARS


def test_single_script():
    assert single_script("plain ASCII, digits 123") and single_script("Привет, мир!") and single_script("12 ½ …")
    assert single_script("東京都人口") and single_script("ひらがな")  # Han and kana are a script each...
    assert not single_script("東京都の人口")  # ...so Japanese writes two
    assert not single_script("Привет, world") and not single_script("日本 Japan")


def test_code_hints_each_lead_to_the_line_check():
    # Each line carries one kind of hint only, so each scan of _has_code_hint is needed once.
    code_lines = ("x = 1", "std::cout", "// note", "/* note", " */", "#include io", "#!bash", "if (a) :", "  import os")
    for code_line in code_lines:
        prose = "Ceci est une phrase en français qui explique le code."
        for text in (f"{prose}\n{code_line}", f"{prose}\n\n{code_line}\n{prose}", f"{code_line}\n{prose}"):
            sample, stripped = prediction_sample(text)
            assert stripped and sample in (prose, f"{prose} {prose}"), (code_line, text)
    assert prediction_sample("return of the king, fromage, classy") == ("return of the king, fromage, classy", False)


def test_two_stage_prediction_keeps_every_label_on_real_wildchat(detector, real_wildchat):
    """On every real WildChat text shipped, the languages are those of predicting every whole sample."""
    rows = []
    for path in sorted(real_wildchat.glob("convotopo_*.jsonl")):
        rows += [{"conversation": json.loads(line)["messages"]} for line in path.read_text().splitlines()]
    tagged, counts = tag_languages(rows, detector.predict)
    ours = [u["language"] for r in tagged for u in r["conversation"]]
    whole = []
    for r in rows:
        for u in r["conversation"]:
            sample, _ = prediction_sample(u["content"])
            code = None if sample is None else choose_language(sample, detector.predict([sample])[0])
            whole.append(NOLANG if code is None else LANGUAGE_NAMES[code])
    assert len(ours) == len(whole) > 4000
    assert ours == whole
    assert counts.languages["English"] > 1000 and len(counts.languages) > 20


# --- real WildChat rows ----------------------------------------------------------------------


def _real_conversations(path: Path) -> tuple[list[dict], list[str]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    conversations = [
        {"conversation": [{"role": m["role"], "content": m["content"]} for m in r["messages"]]} for r in rows
    ]
    return conversations, [r["metadata"]["language"] for r in rows]


def test_real_wildchat_english_conversations(detector, real_wildchat):
    conversations, expected = _real_conversations(real_wildchat / "convotopo_wildchat1m_187_with_metadata.jsonl")
    tagged, counts = tag_languages(conversations, detector.predict)
    agreement = sum(r["language"] == e for r, e in zip(tagged, expected, strict=True)) / len(expected)
    print(f"real WildChat, {len(expected)} English conversations: agreement {agreement:.1%}")
    print(f"  our conversation languages: {counts.conversation_languages}")
    # The disagreements are conversations whose prose is Russian, Persian or Chinese
    # around English code, which this stage leaves out before predicting.
    assert agreement >= 0.95


def test_real_wildchat_full_rows_per_turn(detector, real_wildchat):
    rows = [json.loads(line) for line in (real_wildchat / "wildchat1m_fullschema_5rows.jsonl").read_text().splitlines()]
    tagged, _ = tag_languages(rows, detector.predict)
    ours = [u["language"] for r in tagged for u in r["conversation"]]
    theirs = [u["language"] for r in rows for u in r["conversation"]]
    matches = sum(a == b for a, b in zip(ours, theirs, strict=True))
    print(f"real WildChat full rows: {matches}/{len(theirs)} turn languages agree")
    # WildChat says "Catalan" for "calcula la mediana de followers: <Python code>", which is Spanish.
    assert matches >= len(theirs) - 1
    assert [r["language"] for r in tagged] == ["English", "Spanish", "English", "Spanish", "English"]


# --- the asset -------------------------------------------------------------------------------


def test_materialize_language_tagged_conversations(data_dir):
    rows = [
        conversation_record(
            "geotagged_conversations",
            [("user", PARAGRAPHS["French"]), ("assistant", "Bien sûr ! Voici quelques idées.")],
        ),
        conversation_record(
            "geotagged_conversations",
            [("user", PARAGRAPHS["Chinese"]), ("assistant", ""), ("user", "继续"), ("assistant", "好的，我们继续。")],
        ),
        conversation_record("geotagged_conversations", [("user", PARAGRAPHS["English"]), ("assistant", "   ")]),
    ]
    warehouse = Warehouse(data_dir)
    warehouse.write_records("geotagged_conversations", MONTH, rows)
    warehouse.write_records("raw_logs", MONTH, [{"log_id": "l1", "ip": "198.51.100.23"}])
    result = dg.materialize(
        [language_tagged_conversations],
        partition_key=MONTH,
        resources={
            "warehouse": WarehouseResource(data_dir=str(data_dir)),
            "language_detector": LanguageDetector.from_defaults(),
        },
    )
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["no_raw_client_ips"].passed and checks["every_utterance_has_language"].passed

    stored = warehouse.read_table("language_tagged_conversations", MONTH)
    assert stored.schema.equals(LANGUAGE_TAGGED_CONVERSATIONS)
    tagged = stored.to_pylist()
    assert [r["language"] for r in tagged] == ["French", "Chinese", "English"]
    assert [u["language"] for u in tagged[1]["conversation"]] == ["Chinese", NOLANG, "Chinese", "Chinese"]
    assert tagged[0]["country"] == "United States"  # geotagging fields pass through

    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["utterances_processed"].value == 8
    assert metadata["nolang_utterances"].value == 2
    assert metadata["model_name"].value == "lid.176.ftz"
    assert "Chinese" in metadata["top_utterance_languages"].value
    # No text in metadata: the stage runs before PII redaction.
    assert "Bretagne" not in str({k: v.value for k, v in metadata.items()})


def test_raw_ip_check_fails_on_language_tagged_text(data_dir):
    turns = [("user", "my server is 198.51.100.23 help"), ("assistant", "ok")]
    rows = [conversation_record("geotagged_conversations", turns)]
    warehouse = Warehouse(data_dir)
    warehouse.write_records("geotagged_conversations", MONTH, rows)
    warehouse.write_records("raw_logs", "2023-03", [{"log_id": "l1", "ip": "198.51.100.23"}])  # a neighbour month
    result = dg.materialize(
        [language_tagged_conversations],
        partition_key=MONTH,
        resources={
            "warehouse": WarehouseResource(data_dir=str(data_dir)),
            "language_detector": LanguageDetector.from_defaults(),
        },
        raise_on_error=False,
    )
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["no_raw_client_ips"].passed is False


def test_two_shards_language_results_merge_into_the_one_pass_result(detector):
    def turn(role: str, content: str) -> dict:
        return {"role": role, "content": content}

    rows = [{"conversation": [turn("user", text), turn("assistant", f"{i} " + "🙂" * i)]}
            for i, text in enumerate(PARAGRAPHS.values())]
    rows.append({"conversation": [{"role": "user", "content": "```\nx = 1\n```\nWhy does this print nothing?"}]})
    _, whole = tag_languages(rows, detector.predict)
    _, first = tag_languages(rows[:3], detector.predict)
    _, second = tag_languages(rows[3:], detector.predict)
    merged = first.merged(second)
    assert merged == whole  # no sample in both halves: distinct samples are counted per batch
    assert merged.languages[NOLANG] == whole.nolang_utterances >= 1 and merged.code_stripped_utterances == 1
    assert list(merged.languages)[0] == max(whole.languages, key=whole.languages.get)  # biggest first
