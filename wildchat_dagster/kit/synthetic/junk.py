"""Lines that break the raw-log contract, one kind per rejection reason."""

from __future__ import annotations

import json

from wildchat_dagster.core.months import shift_month
from wildchat_dagster.kit.synthetic.records import format_time


class Junk:
    """Lines that break the raw-log contract, one kind per rejection reason."""

    def junk_record(self, month: str, accented: bool = False) -> dict:
        bank = self.bank(self.rng.choice(("French", "Spanish", "German", "Portuguese")) if accented else None)
        client = self.client(bank, fresh=True)
        model = self.model(month)
        content = self.content(bank, 1, client)
        user, assistant = content.messages[0]
        ts = self.start_inside(month, 60_000)
        return {
            "log_id": self.log_id(),
            "timestamp": format_time(ts, client.browser),
            "response_timestamp": format_time(ts + self.reply_ms(assistant, model), client.browser),
            "model": model,
            "ip": client.place.ip,
            "headers": json.loads(client.browser.headers_json),
            "history": [],
            "prompt": user,
            "response": assistant,
        }

    def plant_junk(self, month: str, per_reason: int, too_large: int) -> None:
        rng = self.rng
        out = self.junk.setdefault(month, [])
        dumps = lambda record: json.dumps(record, ensure_ascii=False)  # noqa: E731
        for i in range(per_reason):
            record = self.junk_record(month)
            line = dumps(record)
            out.append(("invalid_json", line[: rng.randint(10, len(line) - 2)]))
            out.append(("not_an_object", rng.choice((
                dumps(list(self.junk_record(month).values())),
                '"upstream timeout after 60s"',
                "42",
                "null",
            ))))
            while True:  # bytes a Windows-1252 writer produced: not UTF-8
                raw = dumps(self.junk_record(month, accented=True)).encode("cp1252", errors="replace")
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    break
            out.append(("invalid_utf8", raw))
            record = self.junk_record(month)
            del record[("response", "model", "timestamp", "ip", "history", "response_timestamp")[i % 6]]
            out.append(("missing_field", dumps(record)))
            record = self.junk_record(month)
            field_name, value = (
                ("model", 35),
                ("headers", record["headers"].get("user-agent") or "Mozilla/5.0"),
                ("prompt", ["first part", "second part"]),
                ("log_id", 123456789),
            )[i % 4]
            record[field_name] = value
            out.append(("wrong_type", dumps(record)))
            record = self.junk_record(month)
            bad_field, bad_time = (
                ("timestamp", f"{month}-31T25:61:00+00:00"),
                ("timestamp", "yesterday at noon"),
                ("response_timestamp", "soon"),
            )[i % 3]
            record[bad_field] = bad_time
            out.append(("invalid_timestamp", dumps(record)))
            record = self.junk_record(month)
            record["ip"] = ("256.10.1.7", "not-an-ip", "192.168.1", "2001:db8::zz")[i % 4]
            out.append(("invalid_ip", dumps(record)))
            record = self.junk_record(month)
            if i % 2:
                record["history"] = [
                    {"role": "assistant", "content": record["response"]},
                    {"role": "user", "content": record["prompt"]},
                ]
            else:
                record["history"] = [
                    {"role": "user", "content": record["prompt"]},
                    {"role": "user", "content": record["prompt"]},
                ]
            out.append(("invalid_history", dumps(record)))
            record = self.junk_record(shift_month(month, rng.choice((-3, -2, 2, 3))))
            out.append(("wrong_month", dumps(record)))
        for _ in range(too_large):
            record = self.junk_record(month)
            record["prompt"] = "Find the error in this log file:\n" + _big_log_text()
            out.append(("too_large", dumps(record)))
        self.duplicates[month] = per_reason


_BIG_LOG: list[str] = []


def _big_log_text() -> str:
    if not _BIG_LOG:
        lines = [f"{i:06d} INFO worker-{i % 8} processed batch {i} in {i % 97 / 10:.1f}s" for i in range(28_000)]
        _BIG_LOG.append("\n".join(lines))
    return _BIG_LOG[0]
