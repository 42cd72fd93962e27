"""One conversation's stored stage rows turned into the stage-by-stage account `explain` prints.

Pure functions over rows already read; they copy ids, times, places,
languages, entity types, offsets, rule names and scores, never content or IPs.
"""

from __future__ import annotations

from wildchat_dagster.core.linking.decisions import LINKS
from wildchat_dagster.core.moderation.coverage import unscreened_turns
from wildchat_dagster.core.moderation.registry import moderator_entries
from wildchat_dagster.stages import Stage


def _linking(month: str, dedup: dict, logs: list[dict]) -> dict:
    by_id = {log["log_id"]: log for log in logs}
    turns = dedup["conversation"]
    decisions = dedup.get("link_decisions")
    entries = []
    for decision in decisions or [{"log_id": log_id} for log_id in dedup["log_ids"] + dedup["retry_log_ids"]]:
        log = by_id.get(decision["log_id"], {})
        link = decision.get("link")
        entries.append(
            {
                "log_id": decision["log_id"],
                "round": decision.get("round"),
                "landing": f"{log['source_file']}:{log['line_number']}" if log else None,
                "log_month": log.get("month"),
                "requested_at": log.get("timestamp"),
                "link": link,
                "parent_log_id": decision.get("parent_log_id"),
                "absorbed_from": decision.get("absorbed_from"),
                "why": LINKS.get(link, "not recorded: this month was linked before link decisions were stored"),
            }
        )
    end = by_id.get(dedup["conversation_id"], {})
    lost = [i // 2 for i in range(0, len(turns), 2) if turns[i]["log_id"] is None]
    return {
        "owning_month": month,
        "owning_rule": f"a conversation belongs to the month of its last reply: log {dedup['conversation_id']} "
        f"(its last request) was answered at {dedup['timestamp']}"
        + (
            "; logs from "
            f"{', '.join(sorted({e['log_month'] for e in entries if e['log_month'] and e['log_month'] != month}))} "
            "were linked into it"
            if any(e["log_month"] not in (None, month) for e in entries)
            else ""
        ),
        "end_log_landing": f"{end['source_file']}:{end['line_number']}" if end else None,
        "client_fingerprint": dedup["fingerprint"][:12],
        "logs": entries,
        "retries": list(dedup["retry_log_ids"] or []),
        "absorbed_conversations": list(dedup["absorbed_conversation_ids"] or []),
        "lost_rounds": [
            {
                "round": r,
                "why": f"its request log is missing; its text comes from the history of log {dedup['conversation_id']}",
            }
            for r in lost
        ],
    }


def _relation(other: dict) -> str:
    if other["shared_logs"]:
        return (f"shares its first {other['shared_logs']} logged round(s) with this conversation, then another "
                "response: a regenerated branch (rule 5: same history, a new response; both kept)")
    if not other["same_fingerprint"]:
        where = "behind the same IP (NAT)" if other["same_ip"] else "from another IP"
        return f"same opening from another client {where}: different fingerprints never link"
    if not other["same_ip"]:
        return "same opening, same browser fingerprint, another IP: another client (rule 2), kept apart"
    return ("same opening from the same client: a regenerated first reply or a new chat "
            "(rule 5: neither is a prefix of the other, both kept)")


def _turns(stages: dict[str, dict | None], index: list[dict], databases: dict[str, dict]) -> list[dict]:
    geo = (stages.get(Stage.GEOTAGGED_CONVERSATIONS) or {}).get("conversation") or []
    language = (stages.get(Stage.LANGUAGE_TAGGED_CONVERSATIONS) or {}).get("conversation") or []
    redacted = (stages.get(Stage.REDACTED_CONVERSATIONS) or {}).get("conversation") or []
    moderated = (stages.get(Stage.MODERATED_CONVERSATIONS) or {}).get("conversation") or []
    identifiers = {r["round"]: r["turn_identifier"] for r in index}
    turns = []
    for i in range(max(len(geo), len(language), len(redacted), len(moderated))):
        turn: dict = {"round": i // 2, "role": None, "turn_identifier": identifiers.get(i // 2)}
        if i < len(geo):
            g = geo[i]
            turn["role"] = g["role"]
            if g["role"] == "user":
                snapshot = g.get("geoip_snapshot")
                turn["geo"] = {
                    "country": g.get("country"), "state": g.get("state"),
                    "hashed_ip": (g.get("hashed_ip") or "")[:12] or None,
                    "geoip_snapshot": snapshot, "geoip_build_date": databases.get(snapshot, {}).get("build_date"),
                }
        if i < len(language):
            turn["role"] = turn["role"] or language[i]["role"]
            turn["language"] = language[i].get("language")
        if i < len(redacted):
            r = redacted[i]
            spans = r.get("redactions")
            turn["redactions"] = (
                [{k: s[k] for k in ("entity_type", "start", "end", "rule")} for s in spans]
                if spans is not None
                else [{"entity_type": t, "rule": "not recorded"} for t in r.get("redacted_entities") or []]
            )
        if i < len(moderated):
            turn["moderation"] = _moderation(moderated[i])
        turns.append(turn)
    return turns


def _moderation(u: dict) -> dict:
    """Each registered moderator's stored result as `explain` shows it (None: it did not score), and the decision."""
    return {
        **{e.explain_key or e.name: e.explain(u) if e.explain else u.get(e.result_column) for e in moderator_entries()},
        "toxic": u.get("toxic"),
        "toxic_reasons": u.get("toxic_reasons"),
    }


def _release(moderated: dict | None, index: list[dict], released: dict | None) -> dict:
    if moderated is None:
        return {"split": None, "rule": "not moderated yet: no moderated_conversations row for this month"}
    toxic_rounds = sorted({i // 2 for i, u in enumerate(moderated["conversation"]) if u.get("toxic")})
    if moderated.get("excluded_reason"):
        split, rule = "excluded", f"excluded from every split: {moderated['excluded_reason']} (WildChat's rule)"
    elif moderated.get("toxic"):
        split = "toxic"
        rule = f"toxic split: a conversation is toxic when any turn is; toxic turns in rounds {toxic_rounds}"
    elif index and index[0]["split"] == "unscreened":
        unscreened = [(i // 2, moderated["conversation"][i].get("language")) for i in unscreened_turns(moderated)]
        split = "unscreened"
        rule = (f"held in release/unscreened/ (WILDCHAT_UNSCREENED=hold), in neither split: no turn was toxic, but "
                f"turns in rounds {sorted({r for r, _ in unscreened})} (languages "
                f"{', '.join(sorted({str(lang) for _, lang in unscreened}))}) were screened by no moderator")
    else:
        split, rule = "nontoxic", "non-toxic split: no turn was toxic under any moderator that ran"
    return {
        "split": split,
        "rule": rule,
        "conversation_hash": index[0]["conversation_hash"] if index else None,
        "published": released,
    }


def describe_conversation(
    month: str,
    conversation_id: str,
    *,
    dedup: dict | None,
    logs: list[dict],
    related: list[dict],
    stages: dict[str, dict | None],
    index: list[dict],
    provenance: dict,
    released: dict | None,
) -> dict:
    """The account of one conversation of `month`, from its stored rows."""
    databases = {d["snapshot"]: d for d in provenance.get("geoip_databases", [])}
    language_row = stages.get(Stage.LANGUAGE_TAGGED_CONVERSATIONS) or {}
    geo_row = stages.get(Stage.GEOTAGGED_CONVERSATIONS) or {}
    return {
        "month": month,
        "conversation_id": conversation_id,
        "stages_found": [
            s for s, row in [(Stage.DEDUPLICATED_CONVERSATIONS, dedup), *stages.items()] if row is not None
        ],
        "linking": _linking(month, dedup, logs) if dedup else None,
        "related_conversations": [{**r, "relation": _relation(r)} for r in related],
        "geo": {
            "country": geo_row.get("country"),
            "state": geo_row.get("state"),
            "rule": "the most frequent (country, state) of its user turns",
        }
        if geo_row
        else None,
        "language": {
            "language": language_row.get("language"),
            "rule": "the most frequent turn language (Nolang ignored; ties: more user turns, then earliest)",
        }
        if language_row
        else None,
        "turns": _turns(stages, index, databases),
        "moderation_settings": provenance.get("moderation", {}),
        "release": _release(stages.get(Stage.MODERATED_CONVERSATIONS), index, released),
    }
