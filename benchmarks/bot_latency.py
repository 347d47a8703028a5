"""Reply latency of the bot: the real ``cchc serve`` process against the fake Telegram server on loopback.

Latency of one question = time the fake server handed the update to the bot (getUpdates reply) to
the time the bot's sendMessage arrived. Phase 1: 200 questions from dev_qa.jsonl (repeated as
needed), one at a time. Phase 2: 50 users asking at once, 4 rounds; every reply is checked to reach
the right chat with the answer to that user's question.

    .venv/bin/python benchmarks/bot_latency.py [--n 200] [--users 50] [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.store.accounts import Accounts  # noqa: E402
from tests.fakes.fake_telegram import FakeTelegram  # noqa: E402


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--qa", default=str(ROOT.parent / "shared" / "eval" / "dev_qa.jsonl"))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()

    from bot.formatting import format_answer
    from core.settings import load_settings
    from knowledge.service import Knowledge

    questions = [json.loads(x)["q"] for x in Path(args.qa).read_text(encoding="utf-8").splitlines() if x.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="cchc-bot-bench-"))
    (tmp / "config.yaml").write_text("{}\n", encoding="utf-8")
    settings = load_settings(tmp / "config.yaml", home=tmp)
    kn = Knowledge(settings)
    kn.ingest([ROOT / "data" / "corpus"])
    acc = Accounts(kn.db, settings)
    uids = [20_000 + i for i in range(max(args.users, 1))]
    for uid in uids:
        acc.redeem(acc.create_invite("official", "Sở Nội vụ").code, channel="telegram", channel_user_id=str(uid), chat_id=str(uid))
    expected = {q: format_answer(kn.ask(q)).strip() for q in questions}
    kn.close()

    fake = FakeTelegram().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    env.update(CCHC_HOME=str(tmp), CCHC_CONFIG=str(tmp / "config.yaml"), CCHC_TELEGRAM__TOKEN=fake.token,
               CCHC_TELEGRAM__BASE_URL=fake.base_url, CCHC_TELEGRAM__BASE_FILE_URL=fake.base_file_url,
               CCHC_ACCESS__QUESTIONS_PER_MINUTE="100000", CCHC_ACCESS__COMMANDS_PER_MINUTE="100000",
               CCHC_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "cchc"), "serve"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=(tmp / "serve.err").open("wb"))
    try:
        if not fake.wait_until(lambda: "getUpdates" in fake.methods_called(), 60):
            print("serve did not start:", (tmp / "serve.err").read_text(), file=sys.stderr)
            return 1

        def latency(update_id: int, chat: int, before: int) -> float:
            fake.wait_until(lambda: len(fake.sent_to(chat)) > before, 30)
            sent = fake.sent_to(chat)[before]
            return (sent.at - fake.delivered_at[update_id]) * 1000

        # phase 1: one at a time
        seq: list[float] = []
        uid = uids[0]
        for i in range(args.n):
            before = len(fake.sent_to(uid))
            upd = fake.push_message(uid, questions[i % len(questions)])
            seq.append(latency(upd, uid, before))
        print(f"sequential: n={len(seq)} p50={statistics.median(seq):.1f} ms p95={pct(seq, 95):.1f} ms "
              f"max={max(seq):.1f} ms")

        # phase 2: users at once
        conc: list[float] = []
        wrong = missing = 0
        t_total = 0.0
        for r in range(args.rounds):
            users = uids[: args.users]
            before = {u: len(fake.sent_to(u)) for u in users}
            asked = {u: questions[(u + r) % len(questions)] for u in users}
            t0 = time.perf_counter()
            ids = {u: fake.push_message(u, asked[u]) for u in users}
            done = fake.wait_until(lambda: all(len(fake.sent_to(u)) > before[u] for u in users), 60)  # noqa: B023
            t_total += time.perf_counter() - t0
            if not done:
                missing += sum(1 for u in users if len(fake.sent_to(u)) <= before[u])
            time.sleep(0.5)
            for u in users:
                got = fake.sent_to(u)[before[u]:]
                if not got:
                    continue
                conc.append((got[0].at - fake.delivered_at[ids[u]]) * 1000)
                text = "\n".join(s.text or "" for s in got).strip()
                if text != expected[asked[u]]:
                    wrong += 1
        stray = sum(1 for s in fake.sent if s.chat_id not in uids)
        print(f"concurrent: {args.users} users x {args.rounds} rounds: answered={len(conc)}/{args.users * args.rounds} "
              f"wrong_or_mismatched={wrong} missing={missing} stray={stray} p50={statistics.median(conc):.1f} ms "
              f"p95={pct(conc, 95):.1f} ms max={max(conc):.1f} ms, all {args.users} answered in "
              f"{t_total / args.rounds * 1000:.0f} ms per round")
        errors = (tmp / "serve.err").read_text(encoding="utf-8", errors="replace").count("ERROR")
        print(f"errors in the bot's log: {errors}")
        return 0 if (pct(seq, 95) <= 300 and wrong == missing == stray == errors == 0) else 1
    finally:
        proc.terminate()
        proc.wait(15)
        fake.stop()


if __name__ == "__main__":
    raise SystemExit(main())
