"""`explain`'s account as text, stage by stage (the --json output is `Explanation.to_dict()`)."""

from __future__ import annotations

from wildchat_dagster.core.lineage.explain import Explanation
from wildchat_dagster.core.moderation.registry import moderator_entries


def _landing(entry: dict) -> str:
    where = f"{entry['source_file']}:{entry['line_number']}"
    if entry["accepted"]:
        return (
            f"  {where}  accepted into raw_logs {entry['month']} as log {entry['log_id']} (requested "
            f"{entry['timestamp']})"
        )
    return f"  {where}  REJECTED ({entry['reason']}): {entry['why']}"


def _linking(linking: dict) -> list[str]:
    lines = ["linking (linked_conversations -> deduplicated_conversations)",
             f"  owning month: {linking['owning_month']} ({linking['owning_rule']})",
             f"  client fingerprint {linking['client_fingerprint']}… (sha256 of user-agent + accept-language)"]
    for e in linking["logs"]:
        where = f"{e['landing']} [{e['log_month']}]" if e["landing"] else "landing line not found"
        parent = f" of {e['parent_log_id']}" if e["parent_log_id"] else ""
        came = f", came with absorbed conversation {e['absorbed_from']}" if e["absorbed_from"] else ""
        position = f"round {e['round']}" if e["round"] is not None else "round not recorded"
        lines.append(f"  log {e['log_id']} ({position}, {where}): {e['link']}{parent}{came}")
        lines.append(f"      {e['why']}")
    for lost in linking["lost_rounds"]:
        lines.append(f"  round {lost['round']}: {lost['why']}")
    for absorbed in linking["absorbed_conversations"]:
        lines.append(f"  absorbed conversation {absorbed}: a strict prefix of this one from the same client and IP, "
                     "continued here after its last reply (rule 4)")
    return lines


def _turn(turn: dict) -> list[str]:
    head = f"  round {turn['round']} {turn['role'] or '?'} (turn_identifier {turn['turn_identifier']})"
    parts = []
    if geo := turn.get("geo"):
        place = ", ".join(p for p in (geo["country"], geo["state"]) if p) or "not located"
        if geo["geoip_snapshot"]:
            built = f", built {geo['geoip_build_date']}" if geo.get("geoip_build_date") else ""
            parts.append(f"geo {place} (hashed_ip {geo['hashed_ip']}…, GeoIP snapshot {geo['geoip_snapshot']}{built})")
        else:
            parts.append(
                f"geo {place} (no GeoIP lookup recorded: no client IP, or geotagged before snapshots were stored)"
            )
    if "language" in turn:
        parts.append(f"language {turn['language']}")
    lines = [head + (": " + "; ".join(parts) if parts else "")]
    for r in turn.get("redactions") or []:
        offsets = f" at [{r['start']}, {r['end']})" if "start" in r else ""
        lines.append(f"      redacted {r['entity_type']}{offsets} by rule {r['rule']}")
    if m := turn.get("moderation"):
        scores = []
        for e in moderator_entries():
            shown = m.get(e.explain_key or e.name)
            if shown is not None:
                scores.append(e.explain_text(shown) if e.explain_text else f"{e.name}={shown}")
        reasons = f" because {', '.join(m['toxic_reasons'])}" if m.get("toxic_reasons") else ""
        lines.append(f"      moderation: {'; '.join(scores) or 'no moderator ran'} -> toxic={m['toxic']}{reasons}")
    return lines


def render_text(result: Explanation) -> str:
    lines = [f"explain {result.key} ({result.kind})"]
    if result.landing:
        lines.append("landing")
        lines += [_landing(e) for e in result.landing]
    lines += [f"note: {n}" for n in result.notes]
    for c in result.conversations:
        lines += ["", f"== conversation {c['conversation_id']} of {c['month']}",
                  f"stages stored: {', '.join(c['stages_found'])}"]
        if c["linking"]:
            lines += _linking(c["linking"])
        if c["related_conversations"]:
            lines.append("related conversations of the month (kept apart)")
            lines += [f"  {r['conversation_id']}: {r['relation']}" for r in c["related_conversations"]]
        if c["geo"]:
            place = ", ".join(p for p in (c["geo"]["country"], c["geo"]["state"]) if p) or "not located"
            lines.append(f"geotagging: {place} ({c['geo']['rule']})")
        if c["language"]:
            lines.append(f"language: {c['language']['language']} ({c['language']['rule']})")
        lines.append("turns (geo, language, redaction, moderation)")
        for turn in c["turns"]:
            lines += _turn(turn)
        if c["moderation_settings"]:
            lines.append(
                "moderation settings: " + ", ".join(f"{k}={v}" for k, v in sorted(c["moderation_settings"].items()))
            )
        release = c["release"]
        published = release.get("published") or {}
        where = f" -> {published['file']} ({'row found' if published['found'] else 'NOT FOUND'})" if published else ""
        lines.append(f"release: {release['split']}: {release['rule']}{where}")
        if release.get("conversation_hash"):
            lines.append(f"  conversation_hash {release['conversation_hash']}")
    return "\n".join(lines)
