"""The linking rules' hard cases (issue 2), planted on purpose several times a month."""

from __future__ import annotations

from wildchat_dagster.core.months import shift_month
from wildchat_dagster.kit.synthetic import text
from wildchat_dagster.kit.synthetic.geo_pool import Place
from wildchat_dagster.kit.synthetic.records import Client, Content, Log, month_start_ms


class HardCases:
    """The linking rules' hard cases (issue 2), planted on purpose several times a month."""

    def case_cross_month(self, month: str) -> None:
        bank, client, model = self._start(month)
        content = self.content(bank, self.rounds(2), client)
        times = self.timeline(content, model)
        j = self.rng.randint(1, len(times) - 1)  # the first round logged in `month`
        boundary = month_start_ms(month)
        start = boundary - self.rng.randint(times[j - 1][0] + 1, times[j][0])
        self._finish(month, bank, client, model, content, times, start, ["cross_month"])

    def case_reply_crosses_month(self, month: str) -> None:
        bank, client, model = self._start(month)
        content = self.content(bank, self.rounds(), client)
        times = self.timeline(content, model)
        early = self.rng.randint(1_000, 5_000)  # the last request arrives this long before midnight
        times[-1][1] = times[-1][0] + early + self.rng.randint(2_000, 20_000)
        start = month_start_ms(month) - early - times[-1][0]
        self._finish(month, bank, client, model, content, times, start, ["reply_crosses_month"])

    def case_zone_month_boundary(self, month: str) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            # Late on the last UTC day, already the next month on the client's clock (UTC+8/+9).
            bank = self.bank(rng.choice(("Chinese", "Japanese")))
            offset = 480 if bank.name == "Chinese" else 540
            client = self._zoned_client(bank, offset)
            model = self.model(month)
            content = self.content(bank, self.rounds(), client)
            times = self.timeline(content, model)
            last_reply = times[-1][1] - times[-1][0]
            before_end = rng.randint(last_reply + 90_000, 7 * 3_600_000)
            start = month_start_ms(shift_month(month, 1)) - before_end - times[-1][0]
        else:
            # Early on the first UTC day, still the previous month on the client's clock (UTC-5).
            bank = self.bank(rng.choice(("English", "Spanish")))
            client = self._zoned_client(bank, -300)
            model = self.model(month)
            content = self.content(bank, self.rounds(), client)
            times = self.timeline(content, model)
            start = month_start_ms(month) + rng.randint(60_000, 4 * 3_600_000)
        self._finish(month, bank, client, model, content, times, start, ["zone_month_boundary"])

    def case_ip_change(self, month: str) -> None:
        bank = self.bank()
        place, other = self._two_places_same_region(bank)
        client = Client(self.browser(bank, place), place)
        model = self.model(month)
        content = self.content(bank, self.rounds(2), client)
        times = self.timeline(content, model)
        switch = self.rng.randint(1, len(times) - 1)
        ips = [place.ip if r < switch else other.ip for r in range(len(times))]
        branch = content.as_branch()
        logs = self.make_logs(branch, client, model, times, self.start_inside(month, times[-1][1]), ips)
        self.expect(month, bank, place, model, branch, list(logs), content, ["ip_change"])

    def case_retry(self, month: str) -> None:
        bank, client, model = self._start(month)
        content = self.content(bank, self.rounds(), client)
        r = self.rng.randrange(len(content.messages))
        delay = self.rng.randint(2_000, 10_000)
        times = self.timeline(content, model, {r: delay + 1_000})
        branch = content.as_branch()
        logs = self.make_logs(branch, client, model, times, self.start_inside(month, times[-1][1] + delay))
        original = logs[r]
        copy = Log(self.log_id(), original.ts + delay, original.rts + delay, original.ip, original.browser,
                    model, branch, r)
        self.logs.append(copy)
        self.retries.append((copy, original))
        self.expect(month, bank, client.place, model, branch, list(logs), content, ["retry"])

    def case_regeneration(self, month: str) -> None:
        rng = self.rng
        bank, client, model = self._start(month)
        content = self.content(bank, self.rounds(), client)
        rounds = len(content.messages)
        k = rng.randrange(rounds)
        fresh = self.answer(bank)
        while fresh == content.messages[k][1]:
            fresh = self.answer(bank)
        gap = rng.randint(5_000, 60_000)
        regen_reply = self.reply_ms(fresh, model)
        times = self.timeline(content, model, {k: gap + regen_reply})
        start = self.start_inside(month, times[-1][1] + gap + regen_reply)
        continue_regenerated = rng.random() < 0.7
        regenerated_messages = [list(m) for m in content.messages]
        regenerated_messages[k][1] = fresh
        if continue_regenerated:
            # The UI shows the new answer and the user goes on from it.
            main = Content(regenerated_messages, content.planted, content.lookalikes, content.toxic, content.tags)
            side = Content([list(m) for m in content.messages[: k + 1]])
        else:
            main = content
            side = Content(regenerated_messages[: k + 1])
        main_branch, side_branch = main.as_branch(), side.as_branch()
        main_logs = self.make_logs(main_branch, client, model, times, start)
        side_log = Log(self.log_id(), main_logs[k].ts, main_logs[k].rts, client.place.ip, client.browser,
                        model, side_branch, k)
        if continue_regenerated:
            # The original answer came first; the regenerated request followed it.
            main_logs[k].ts = side_log.rts + gap
            main_logs[k].rts = main_logs[k].ts + regen_reply
        else:
            side_log.ts = main_logs[k].rts + gap
            side_log.rts = side_log.ts + regen_reply
        self.logs.append(side_log)
        self.expect(month, bank, client.place, model, main_branch, list(main_logs), main, ["regeneration"])
        self.expect(month, bank, client.place, model, side_branch, list(main_logs[:k]) + [side_log], side,
                    ["regeneration"])

    def case_lost_log(self, month: str) -> None:
        rng = self.rng
        bank, client, model = self._start(month)
        content = self.content(bank, self.rounds(2), client)
        rounds = len(content.messages)
        lost = {rng.randrange(rounds - 1)}
        if rounds >= 6 and rng.random() < 0.3:
            first = next(iter(lost))
            if first + 2 <= rounds - 2:
                lost.add(rng.randint(first + 2, rounds - 2))
        times = self.timeline(content, model)
        branch = content.as_branch()
        logs = self.make_logs(branch, client, model, times, self.start_inside(month, times[-1][1]))
        for r in lost:
            logs[r].written = False
        made = self.expect(month, bank, client.place, model, branch,
                           [None if r in lost else log for r, log in enumerate(logs)], content, ["lost_log"])
        # Every run of surviving logs before a lost one ends a chain of its own,
        # a strict prefix of the whole conversation: it is absorbed.
        for r in range(rounds - 1):
            if r not in lost and (r + 1) in lost:
                self.absorbed.append((logs[r].log_id, made))

    def case_repeated_opening(self, month: str) -> None:
        rng = self.rng
        bank = self.bank()
        opening = rng.choice(bank.openings)
        client = self._claimed_client(bank, opening)
        model = self.model(month)
        short = self.content(bank, 1, client, opening=opening)
        long = self.content(bank, self.rounds(2), client, opening=opening)
        short_times = self.timeline(short, model)
        long_times = self.timeline(long, model)
        later = rng.randint(3_600_000, 6 * 3_600_000)  # hours later: a new chat, not a retry
        start = self.start_inside(month, later + long_times[-1][1])
        short_branch, long_branch = short.as_branch(), long.as_branch()
        short_logs = self.make_logs(short_branch, client, model, short_times, start)
        long_logs = self.make_logs(long_branch, client, model, long_times, start + later)
        made = self.expect(month, bank, client.place, model, long_branch, list(long_logs), long, ["repeated_opening"])
        self.absorbed.append((short_logs[0].log_id, made))

    def case_nat(self, month: str) -> None:
        bank = self.bank()
        opening = self.rng.choice(bank.openings)
        first = self._claimed_client(bank, opening)
        ua = first.browser.user_agent
        while ua == first.browser.user_agent:
            ua = self.user_agent(bank)
        second = Client(self.browser(bank, first.place, ua), first.place)
        self._group(month, bank, opening, [first, second], "nat")

    def case_identical_openings(self, month: str) -> None:
        bank = self.bank()
        opening = self.rng.choice(bank.openings)
        first = self._claimed_client(bank, opening)
        second = self._claimed_client(bank, opening)
        while (second.browser.user_agent, second.browser.accept_language) == (
            first.browser.user_agent, first.browser.accept_language
        ) or second.place.ip == first.place.ip:
            second = self._claimed_client(bank, opening)
        self._group(month, bank, opening, [first, second], "identical_openings")

    def case_identical_openings_same_fingerprint(self, month: str) -> None:
        bank = self.bank()
        opening = self.rng.choice(bank.openings)
        first = self._claimed_client(bank, opening)
        other = self._claimed_client(bank, opening)
        while other.place.ip == first.place.ip:
            other = self._claimed_client(bank, opening)
        second = Client(self.same_fingerprint(first.browser), other.place)
        self._group(month, bank, opening, [first, second], "identical_openings_same_fingerprint")

    # -- case plumbing --

    def _start(self, month: str) -> tuple[text.LanguageBank, Client, str]:
        bank = self.bank()
        return bank, self.client(bank, fresh=True), self.model(month)

    def _finish(self, month, bank, client, model, content, times, start, cases) -> None:
        branch = content.as_branch()
        logs = self.make_logs(branch, client, model, times, start)
        self.expect(month, bank, client.place, model, branch, list(logs), content, cases)

    def _zoned_client(self, bank: text.LanguageBank, offset_minutes: int) -> Client:
        place = self.place(bank, allow_unknown=False)
        browser = self.browser(bank, place)
        browser.offset_minutes = offset_minutes
        return Client(browser, place)

    def _two_places_same_region(self, bank: text.LanguageBank) -> tuple[Place, Place]:
        """Two addresses in one country and state: a phone moving between cells or Wi-Fi."""
        for _ in range(50):
            place = self.place(bank, allow_unknown=False)
            region = [p for p in self.pool.regions.get((place.iso, place.state), []) if p.ip != place.ip]
            if region:
                other = self.pool.neighbour(self.rng.choice(region), self.rng)
                if other.ip != place.ip and (other.iso, other.state) == (place.iso, place.state):
                    return place, other
        places = next(p for p in self.pool.regions.values() if len(p) >= 2)
        return places[0], places[1]

    def _claimed_client(self, bank: text.LanguageBank, opening: tuple[str, str]) -> Client:
        """A fresh client whose IP has never sent this shared opening before."""
        while True:
            client = self.client(bank, fresh=True)
            key = (opening[0], client.place.ip)
            if key not in self._claims:
                self._claims.add(key)
                return client

    def _group(self, month: str, bank: text.LanguageBank, opening: tuple[str, str], clients: list[Client],
               case: str) -> None:
        rng = self.rng
        model = self.model(month)
        long_index = rng.randrange(len(clients))
        contents, timelines, offsets = [], [], []
        offset = 0
        for i, client in enumerate(clients):
            rounds = self.rounds(2) if i == long_index else self.rounds()
            content = self.content(bank, rounds, client, opening=opening)
            contents.append(content)
            timelines.append(self.timeline(content, model))
            offsets.append(offset)
            offset += rng.randint(60_000, 600_000)  # minutes apart: different people, not retries
        span = max(o + t[-1][1] for o, t in zip(offsets, timelines, strict=True))
        start = self.start_inside(month, span)
        for client, content, times, o in zip(clients, contents, timelines, offsets, strict=True):
            branch = content.as_branch()
            logs = self.make_logs(branch, client, model, times, start + o)
            self.expect(month, bank, client.place, model, branch, list(logs), content, [case])
