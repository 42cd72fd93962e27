"""Linking and deduplication rules (issue 2, rules 1-5), each on hand-built request logs."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pytest

from wildchat_dagster.core.linking.chains import link_month
from wildchat_dagster.core.linking.conservation import FATES, conservation_identity_holds
from wildchat_dagster.core.linking.logs import client_fingerprint

UTC = dt.UTC
T0 = dt.datetime(2023, 4, 12, 9, 0, tzinfo=UTC)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/112.0"
HOME_IP, PHONE_IP, OFFICE_IP = "198.51.100.20", "2001:db8::5", "203.0.113.9"
GPT35, GPT4 = "gpt-3.5-turbo-0301", "gpt-4-0314"


def raw_log(
    log_id, rounds, prompt, response, *, at, ip=HOME_IP, ua=CHROME, lang="en-US,en;q=0.9", model=GPT35, latency=6
):
    """One RAW_LOGS row: `rounds` are the (user, assistant) pairs already in the history.

    `at` is minutes after T0 or a datetime.
    """
    sent = at if isinstance(at, dt.datetime) else T0 + dt.timedelta(minutes=at)
    history = [
        m
        for user, assistant in rounds
        for m in ({"role": "user", "content": user}, {"role": "assistant", "content": assistant})
    ]
    return {
        "log_id": log_id, "timestamp": sent, "response_timestamp": sent + dt.timedelta(seconds=latency),
        "model": model, "ip": ip, "user_agent": ua, "accept_language": lang,
        "headers_json": "{}", "history": history, "prompt": prompt, "response": response,
        "extra_json": None, "source_file": "landing/x.jsonl", "line_number": 1,
    }


def chat(prefix, rounds, *, start=0, every=2, **kwargs):
    """The logs of one conversation: request i carries rounds[:i] as history, `every` minutes apart."""
    return [
        raw_log(
            f"{prefix}{i + 1}",
            rounds[:i],
            user,
            assistant,
            at=start + i * every if not isinstance(start, dt.datetime) else start + dt.timedelta(minutes=i * every),
            **kwargs,
        )
        for i, (user, assistant) in enumerate(rounds)
    ]


ROUNDS = [("hi", "Hello! How can I help?"), ("write a haiku", "Leaves fall..."), ("another", "Snow melts...")]


def by_id(rows):
    return {r["conversation_id"]: r for r in rows}


def fates(links):
    return {log_id: d.fate for log_id, d in links.dispositions.items()}


def assert_conserved(links):
    assert conservation_identity_holds(links.counts, "deduplicated")
    assert conservation_identity_holds(links.counts, "linked")
    assert links.counts["logs_in"] == sum(links.counts[f] for f in FATES)


def test_fingerprint_is_sha256_of_user_agent_and_accept_language():
    assert client_fingerprint(CHROME, "en") == hashlib.sha256((CHROME + "en").encode()).hexdigest()
    assert client_fingerprint(None, None) == hashlib.sha256(b"").hexdigest()


def test_a_chain_becomes_one_conversation_with_per_turn_metadata():
    logs = chat("a", ROUNDS)
    links = link_month(logs, "2023-04")
    (conv,) = links.deduplicated
    assert conv["conversation_id"] == "a3"
    assert conv["turn"] == 3 and conv["model"] == GPT35
    assert conv["log_ids"] == ["a1", "a2", "a3"]
    assert conv["timestamp"] == logs[2]["response_timestamp"]
    assert conv["fingerprint"] == client_fingerprint(CHROME, "en-US,en;q=0.9")
    assert [u["content"] for u in conv["conversation"]] == [x for pair in ROUNDS for x in pair]
    first_user, first_reply = conv["conversation"][:2]
    assert first_user["timestamp"] == logs[0]["timestamp"] and first_reply["timestamp"] == logs[0]["response_timestamp"]
    assert first_user["ip"] == HOME_IP and first_reply["ip"] is None
    assert (
        first_user["header"] == {"accept-language": "en-US,en;q=0.9", "user-agent": CHROME}
        and first_reply["header"] is None
    )
    assert [u["log_id"] for u in conv["conversation"]] == ["a1", "a1", "a2", "a2", "a3", "a3"]
    assert fates(links) == {"a1": "ancestor", "a2": "ancestor", "a3": "ends_conversation"}
    assert {d.conversation_id for d in links.dispositions.values()} == {"a3"}
    assert_conserved(links)


def test_mobile_ip_change_still_links():
    logs = chat("m", ROUNDS[:2]) + [raw_log("m3", ROUNDS[:2], *ROUNDS[2], at=10, ip=PHONE_IP)]
    (conv,) = link_month(logs, "2023-04").deduplicated
    assert conv["log_ids"] == ["m1", "m2", "m3"]
    assert [u["ip"] for u in conv["conversation"][::2]] == [HOME_IP, HOME_IP, PHONE_IP]


def test_parent_prefers_same_ip_over_a_later_candidate():
    # Two same-browser clients open identically; the home client's follow-up must join the home log,
    # although the office log is the latest candidate.
    logs = [
        raw_log("home1", [], *ROUNDS[0], at=0, ip=HOME_IP),
        raw_log("office1", [], *ROUNDS[0], at=1, ip=OFFICE_IP),
        raw_log("home2", ROUNDS[:1], *ROUNDS[1], at=3, ip=HOME_IP),
    ]
    links = link_month(logs, "2023-04")
    convs = by_id(links.deduplicated)
    assert set(convs) == {"home2", "office1"}
    assert convs["home2"]["log_ids"] == ["home1", "home2"]
    assert convs["office1"]["absorbed_conversation_ids"] == [] and convs["office1"]["turn"] == 1


def test_without_a_same_ip_candidate_the_latest_earlier_one_is_taken():
    logs = [
        raw_log("x1", [], *ROUNDS[0], at=0, ip=HOME_IP),
        raw_log("y1", [], *ROUNDS[0], at=5, ip=OFFICE_IP),
        raw_log("child", ROUNDS[:1], *ROUNDS[1], at=8, ip=PHONE_IP),
        raw_log("z1", [], *ROUNDS[0], at=9, ip=PHONE_IP),  # later than the child: never its parent
    ]
    convs = by_id(link_month(logs, "2023-04").deduplicated)
    assert convs["child"]["log_ids"] == ["y1", "child"]
    assert set(convs) == {"x1", "child", "z1"}


def test_ip_switching_back_and_forth_stays_one_conversation():
    logs = [
        raw_log("h1", [], *ROUNDS[0], at=0, ip=HOME_IP),
        raw_log("p2", ROUNDS[:1], *ROUNDS[1], at=2, ip=PHONE_IP),
        raw_log("h3", ROUNDS[:2], *ROUNDS[2], at=4, ip=HOME_IP),
    ]
    (conv,) = link_month(logs, "2023-04").deduplicated
    assert conv["log_ids"] == ["h1", "p2", "h3"]


def test_an_ip_change_is_followed_even_after_an_older_identical_chat_on_the_new_ip():
    logs = [
        raw_log("old-home", [], *ROUNDS[0], at=0, ip=HOME_IP),  # an earlier, separate chat
        raw_log("phone1", [], *ROUNDS[0], at=60, ip=PHONE_IP),
        raw_log("phone2", ROUNDS[:1], *ROUNDS[1], at=62, ip=PHONE_IP),
        raw_log("home3", ROUNDS[:2], *ROUNDS[2], at=64, ip=HOME_IP),  # back home, same conversation
    ]
    links = link_month(logs, "2023-04")
    (linked,) = [r for r in links.linked if r["conversation_id"] == "home3"]
    assert linked["log_ids"] == ["phone1", "phone2", "home3"]
    # The older chat from home is a strict prefix from the same client (rule 1): absorbed, not lost.
    (conv,) = links.deduplicated
    assert conv["absorbed_conversation_ids"] == ["old-home"]
    assert conv["conversation"][0]["log_id"] == "phone1"


def test_a_lost_log_does_not_graft_the_rest_onto_another_clients_older_chat():
    other = chat("other", ROUNDS[:2], ip=OFFICE_IP)  # same browser build, same two rounds, days earlier
    first, _lost, last = chat("mine", ROUNDS, start=3 * 24 * 60, ip=HOME_IP)
    links = link_month(other + [first, last], "2023-04")
    convs = by_id(links.deduplicated)
    assert set(convs) == {"other2", "mine3"}
    assert convs["mine3"]["log_ids"] == ["mine1", "mine3"] and convs["mine3"]["absorbed_conversation_ids"] == ["mine1"]
    assert convs["other2"]["log_ids"] == ["other1", "other2"]


def test_nat_different_browsers_behind_one_ip_never_link():
    a = chat("chrome", ROUNDS[:2], ip=OFFICE_IP, ua=CHROME)
    b = chat("firefox", ROUNDS[:1], start=1, ip=OFFICE_IP, ua=FIREFOX)
    links = link_month(a + b, "2023-04")
    convs = by_id(links.deduplicated)
    assert set(convs) == {"chrome2", "firefox1"}
    assert convs["chrome2"]["log_ids"] == ["chrome1", "chrome2"]
    # The Firefox user's one-turn chat is a prefix of the Chrome chat, but another client's.
    assert convs["chrome2"]["absorbed_conversation_ids"] == []
    # A child whose only content match is another browser's log starts a new chain instead.
    lonely = raw_log("firefox-follow", ROUNDS[:2], *ROUNDS[2], at=30, ip=OFFICE_IP, ua=FIREFOX)
    convs = by_id(link_month(a + b + [lonely], "2023-04").deduplicated)
    assert convs["firefox-follow"]["log_ids"] == ["firefox1", "firefox-follow"]  # absorbed its own client's prefix
    assert convs["chrome2"]["log_ids"] == ["chrome1", "chrome2"]


def test_accept_language_is_part_of_the_client():
    logs = [raw_log("en1", [], *ROUNDS[0], at=0, lang="en"), raw_log("de2", ROUNDS[:1], *ROUNDS[1], at=2, lang="de")]
    assert set(by_id(link_month(logs, "2023-04").deduplicated)) == {"en1", "de2"}


def test_identical_openings_same_fingerprint_different_ips_stay_separate():
    short = chat("short", ROUNDS[:1], ip=OFFICE_IP)
    long = chat("long", ROUNDS, start=1, ip=HOME_IP)
    links = link_month(short + long, "2023-04")
    convs = by_id(links.deduplicated)
    assert set(convs) == {"short1", "long3"}
    assert convs["short1"]["turn"] == 1 and convs["long3"]["absorbed_conversation_ids"] == []
    assert fates(links)["short1"] == "ends_conversation"


def test_a_model_switch_is_a_new_conversation():
    logs = [raw_log("g35", [], *ROUNDS[0], at=0, model=GPT35), raw_log("g4", ROUNDS[:1], *ROUNDS[1], at=2, model=GPT4)]
    convs = by_id(link_month(logs, "2023-04").deduplicated)
    assert set(convs) == {"g35", "g4"}
    assert convs["g4"]["conversation"][0]["log_id"] is None  # its first round is known only from history


def test_retries_count_once_keep_the_earliest_and_children_attach_to_it():
    logs = [
        raw_log("r1", [], *ROUNDS[0], at=0),
        raw_log("r1-again", [], *ROUNDS[0], at=dt.timedelta(seconds=4) + T0),
        raw_log("r1-third", [], *ROUNDS[0], at=dt.timedelta(seconds=50) + T0),  # within the window of the previous copy
        raw_log("r2", ROUNDS[:1], *ROUNDS[1], at=3),
    ]
    links = link_month(logs, "2023-04")
    (conv,) = links.deduplicated
    assert conv["conversation_id"] == "r2"
    assert conv["log_ids"] == ["r1", "r2"]
    assert conv["retry_log_ids"] == ["r1-again", "r1-third"]
    assert conv["conversation"][0]["log_id"] == "r1"
    assert fates(links) == {"r1": "ancestor", "r1-again": "retry", "r1-third": "retry", "r2": "ends_conversation"}
    assert links.dispositions["r1-again"].conversation_id == "r2"
    assert links.counts["retry"] == 2 and links.counts["retry_logs"] == 2
    (linked,) = links.linked  # linked_conversations already counts retries once
    assert linked["log_ids"] == ["r1", "r2"]
    assert_conserved(links)


@pytest.mark.parametrize(
    "variant",
    [
        {"response": "A different answer"},  # a regeneration, not a retry
        {"ip": OFFICE_IP},  # another client with the same browser
        {"at": 5},  # minutes later: the user asked again
        {"model": GPT4},
    ],
)
def test_not_a_retry(variant):
    fields = {"at": dt.timedelta(seconds=3) + T0, "response": ROUNDS[0][1]} | variant
    logs = [
        raw_log("first", [], *ROUNDS[0], at=0),
        raw_log("second", [], ROUNDS[0][0], fields.pop("response"), **fields),
    ]
    links = link_month(logs, "2023-04")
    assert len(links.deduplicated) == 2
    assert links.counts["retry"] == 0
    assert all(r["retry_log_ids"] == [] for r in links.deduplicated)


def test_regenerations_nobody_continued_stay_and_the_continued_branch_links():
    logs = [
        raw_log("ask", [], "tell a joke", "Why did the chicken...", at=0),
        raw_log("regen", [], "tell a joke", "A horse walks into a bar...", at=1),
        raw_log("more", [("tell a joke", "A horse walks into a bar...")], "another", "Knock knock.", at=3),
    ]
    links = link_month(logs, "2023-04")
    convs = by_id(links.deduplicated)
    assert set(convs) == {"ask", "more"}
    assert convs["more"]["log_ids"] == ["regen", "more"]
    assert convs["ask"]["conversation"][1]["content"] == "Why did the chicken..."
    assert fates(links) == {"ask": "ends_conversation", "regen": "ancestor", "more": "ends_conversation"}


def test_a_lost_intermediate_log_keeps_the_conversation_whole():
    first, _lost, last = chat("lost", ROUNDS)
    links = link_month([first, last], "2023-04")
    assert sorted(r["conversation_id"] for r in links.linked) == ["lost1", "lost3"]  # before deduplication
    (conv,) = links.deduplicated
    assert conv["conversation_id"] == "lost3"
    assert conv["absorbed_conversation_ids"] == ["lost1"]
    assert conv["log_ids"] == ["lost1", "lost3"]
    assert [u["log_id"] for u in conv["conversation"]] == ["lost1", "lost1", None, None, "lost3", "lost3"]
    lost_user, lost_reply = conv["conversation"][2:4]
    assert lost_user["content"] == "write a haiku" and lost_reply["content"] == "Leaves fall..."
    assert (
        lost_user["timestamp"] is None
        and lost_user["ip"] is None
        and lost_user["header"] is None
        and lost_user["model"] is None
    )
    assert conv["conversation"][0]["timestamp"] == first["timestamp"]  # filled from the absorbed log
    assert fates(links) == {"lost1": "absorbed_prefix", "lost3": "ends_conversation"}
    assert links.dispositions["lost1"].conversation_id == "lost3"
    assert links.counts["conversations_with_lost_turns"] == 1
    assert_conserved(links)


def test_a_lost_first_log_gives_null_metadata_for_the_first_round():
    (conv,) = link_month(chat("c", ROUNDS)[1:], "2023-04").deduplicated
    assert [u["log_id"] for u in conv["conversation"]] == [None, None, "c2", "c2", "c3", "c3"]
    assert conv["turn"] == 3 and conv["log_ids"] == ["c2", "c3"]


def test_absorption_needs_the_same_client_ip():
    first, _lost, last = chat("p", ROUNDS)
    first["ip"] = OFFICE_IP  # same browser build, another network: maybe another person
    convs = by_id(link_month([first, last], "2023-04").deduplicated)
    assert set(convs) == {"p1", "p3"}
    assert convs["p3"]["conversation"][0]["log_id"] is None


def test_a_later_short_chat_is_not_swallowed_by_an_earlier_long_one():
    long = chat("long", ROUNDS)
    again = raw_log("again", [], *ROUNDS[0], at=60)  # a new chat with the same opening, an hour later
    links = link_month(long + [again], "2023-04")
    assert set(by_id(links.deduplicated)) == {"long3", "again"}
    assert links.counts["prefixes_absorbed"] == 0


def test_an_identical_chat_repeated_later_by_the_same_client_keeps_its_own_row():
    once = raw_log("once", [], *ROUNDS[0], at=0)
    twice = raw_log("twice", [], *ROUNDS[0], at=10)
    assert sorted(r["conversation_id"] for r in link_month([once, twice], "2023-04").deduplicated) == ["once", "twice"]


def test_a_same_client_duplicate_opening_is_absorbed_by_its_continuation():
    # Same opening 5 minutes apart (outside the retry window); the user continued from the second.
    logs = [
        raw_log("o1", [], *ROUNDS[0], at=0),
        raw_log("o1b", [], *ROUNDS[0], at=5),
        raw_log("o2", ROUNDS[:1], *ROUNDS[1], at=7),
    ]
    links = link_month(logs, "2023-04")
    (conv,) = links.deduplicated
    assert conv["log_ids"] == ["o1", "o1b", "o2"]
    assert conv["absorbed_conversation_ids"] == ["o1"]
    assert conv["conversation"][0]["log_id"] == "o1b"  # the chain's own log wins over the absorbed one


def test_absorption_is_transitive_when_several_logs_are_lost():
    rounds = ROUNDS + [("and a limerick", "There once was..."), ("thanks", "You're welcome!")]
    logs = chat("t", rounds)
    kept = [logs[0], logs[2], logs[4]]  # t2 and t4 were lost
    links = link_month(kept, "2023-04")
    assert sorted(r["conversation_id"] for r in links.linked) == ["t1", "t3", "t5"]
    (conv,) = links.deduplicated
    assert conv["conversation_id"] == "t5"
    assert conv["absorbed_conversation_ids"] == ["t1", "t3"]
    assert conv["log_ids"] == ["t1", "t3", "t5"]
    assert [u["log_id"] for u in conv["conversation"][::2]] == ["t1", None, "t3", None, "t5"]
    assert fates(links) == {"t1": "absorbed_prefix", "t3": "absorbed_prefix", "t5": "ends_conversation"}
    assert {d.conversation_id for d in links.dispositions.values()} == {"t5"}


def test_a_continuation_sent_before_the_prefix_was_answered_does_not_absorb_it():
    # The "midnight" opening arrives after the other chat had already moved past its first round.
    long = chat("long", ROUNDS, every=5)
    late = raw_log("late", [], *ROUNDS[0], at=7)
    links = link_month(long + [late], "2023-04")
    assert set(by_id(links.deduplicated)) == {"long3", "late"}


def test_empty_prompt_is_a_user_turn_with_empty_content():
    logs = [
        raw_log("e1", [], "", "It looks like your message is empty.", at=0),
        raw_log("e2", [("", "It looks like your message is empty.")], "sorry", "No problem!", at=2),
    ]
    (conv,) = link_month(logs, "2023-04").deduplicated
    assert conv["conversation"][0] == conv["conversation"][0] | {"role": "user", "content": "", "log_id": "e1"}
    assert conv["turn"] == 2


def test_branches_share_an_ancestor_counted_once():
    root = raw_log("root", [], *ROUNDS[0], at=0)
    left = raw_log("left", ROUNDS[:1], "left question", "left answer", at=2)
    right = raw_log("right", ROUNDS[:1], "right question", "right answer", at=3)
    links = link_month([root, left, right], "2023-04")
    convs = by_id(links.deduplicated)
    assert convs["left"]["log_ids"] == ["root", "left"] and convs["right"]["log_ids"] == ["root", "right"]
    assert fates(links)["root"] == "ancestor"
    assert links.dispositions["root"].conversation_id == "left"  # the earliest-ending conversation through it
    assert_conserved(links)


# --- months -------------------------------------------------------------------------------


def cross_month_logs():
    april_end = dt.datetime(2023, 4, 30, 23, 50, tzinfo=UTC)
    crossing = chat("cross", ROUNDS, start=april_end, every=5)  # 23:50, 23:55, May 1st 00:00
    midnight = raw_log("midnight", [], *ROUNDS[0], at=dt.datetime(2023, 4, 30, 23, 59, 58, tzinfo=UTC), latency=5)
    other = [("bonjour", "Bonjour !"), ("un poème", "Les feuilles...")]
    april = chat("april", other, start=dt.datetime(2023, 4, 20, 10, tzinfo=UTC))
    may = chat("may", other, start=dt.datetime(2023, 5, 3, 10, tzinfo=UTC), ip=OFFICE_IP)
    return crossing + [midnight] + april + may


def test_a_conversation_crossing_months_appears_only_in_the_later_month():
    logs = cross_month_logs()
    april = link_month(logs, "2023-04")
    may = link_month(logs, "2023-05")
    assert set(by_id(april.deduplicated)) == {"april2"}
    assert set(by_id(may.deduplicated)) == {"cross3", "midnight", "may2"}
    cross = by_id(may.deduplicated)["cross3"]
    assert cross["log_ids"] == ["cross1", "cross2", "cross3"] and cross["turn"] == 3
    assert {april.dispositions[i] for i in ("cross1", "cross2")} == {("belongs_to_other_month", "cross3")}
    assert april.dispositions["midnight"] == ("belongs_to_other_month", "midnight")  # replied after midnight
    assert april.counts["cross_month_out"] == 3
    assert may.counts["cross_month_in"] == 2 and may.counts["ends_from_previous_month"] == 1
    assert may.counts["logs_in"] == 3  # cross3, may1, may2
    for links in (april, may):
        assert_conserved(links)
    # Linking is identical whatever the order of the input logs.
    shuffled = logs[:]
    random.Random(4).shuffle(shuffled)
    assert link_month(shuffled, "2023-05").deduplicated == may.deduplicated


def test_every_log_is_accounted_for_in_a_mixed_month():
    logs = (
        chat("a", ROUNDS) + chat("b", ROUNDS[:2], ip=OFFICE_IP, start=1) + chat("c", ROUNDS[:1], ua=FIREFOX, ip=HOME_IP)
        + [raw_log("a2-retry", ROUNDS[:1], *ROUNDS[1], at=dt.timedelta(minutes=2, seconds=3) + T0)]
        + [chat("d", ROUNDS)[i] for i in (0, 2)]
        + cross_month_logs()
    )
    seen: dict[str, list[str]] = {}
    for month in ("2023-04", "2023-05"):
        links = link_month(logs, month)
        assert_conserved(links)
        for row in links.deduplicated:
            for log_id in row["log_ids"] + row["retry_log_ids"]:
                seen.setdefault(log_id, []).append(month)
    assert set(seen) == {log["log_id"] for log in logs}  # nothing lost
    assert all(months == [months[0]] for months in seen.values())  # no log in two months


def test_window_keeps_one_row_per_log_id_preferring_the_month():
    from wildchat_dagster.core.linking.chains import window_logs

    april = [{"log_id": "x", "m": "2023-04"}, {"log_id": "a", "m": "2023-04"}]
    may = [{"log_id": "x", "m": "2023-05"}, {"log_id": "b", "m": "2023-05"}]
    june = [{"log_id": "x", "m": "2023-06"}]
    logs, dropped = window_logs({"2023-04": april, "2023-05": may, "2023-06": june}, "2023-05")
    assert dropped == 2
    assert sorted((r["log_id"], r["m"]) for r in logs) == [("a", "2023-04"), ("b", "2023-05"), ("x", "2023-05")]


# --- link decisions: why each log is where it is (stored for `explain`) ---


def decisions(conv):
    return {d["log_id"]: (d["link"], d["parent_log_id"], d["absorbed_from"]) for d in conv["link_decisions"]}


def test_link_decisions_name_same_ip_other_ip_and_retry():
    logs = chat("m", ROUNDS[:2], ip=HOME_IP) + [
        raw_log("m1-again", [], *ROUNDS[0], at=dt.timedelta(seconds=5) + T0),
        raw_log("m3", ROUNDS[:2], *ROUNDS[2], at=4, ip=PHONE_IP),
    ]
    (conv,) = link_month(logs, "2023-04").deduplicated
    assert decisions(conv) == {
        "m1": ("first_request", None, None),
        "m2": ("same_ip", "m1", None),
        "m3": ("other_ip", "m2", None),
        "m1-again": ("retry", "m1", None),
    }


def test_link_decisions_name_a_lost_log_and_the_absorbed_prefix():
    first, _lost, last = chat("lost", ROUNDS)
    (conv,) = link_month([first, last], "2023-04").deduplicated
    assert decisions(conv) == {
        "lost1": ("first_request", None, "lost1"),
        "lost3": ("history_only", None, None),
    }
    assert [d["round"] for d in conv["link_decisions"]] == [0, 2]


def test_link_decisions_name_the_refused_other_client():
    other = chat("other", ROUNDS[:2], ip=OFFICE_IP)
    first, _lost, last = chat("mine", ROUNDS, start=3 * 24 * 60, ip=HOME_IP)
    convs = by_id(link_month(other + [first, last], "2023-04").deduplicated)
    assert decisions(convs["mine3"])["mine3"] == ("other_client_refused", "other2", None)
    assert decisions(convs["other2"])["other2"] == ("same_ip", "other1", None)
