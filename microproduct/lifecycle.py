"""Users, subscriptions and billing: the state machine behind the app DB and the billing store.

Each simulated day :meth:`World.simulate_day` moves time forward in this order:

1. the price list (one plan changes price on ``PRICE_CHANGE_DAY``);
2. sign-ups (growing, with weekday seasonality and noise);
3. things that were *scheduled*: trials ending (convert or end), billing periods ending (renew or
   end when the user asked to cancel), failed payments being retried (3 days later; after 3 failed
   attempts the invoice is uncollectible and the subscription ends: involuntary churn);
4. things users *decide* today, drawn as daily probabilities ("hazards"): start a trial, buy, come
   back (a new subscription), cancel, upgrade or downgrade, get a refund (recorded on the payment
   and on its invoice; a full refund of the current period also cancels the renewal), edit the
   profile, delete the account.

State lives in the two SQLite files (plus hidden traits that are hashes of the user id, see
:mod:`microproduct.traits`), so a later process can :meth:`World.load` it and carry on exactly as
if it had never stopped. Times are epoch seconds (ints) inside, strings only when written.

Randomness: one generator per day, passed in, drawn in a fixed order over objects sorted by id.
Same state + same generator => same day, whichever process runs it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from microproduct import appdb, billing_store, world
from microproduct.timeutil import DAY, add_interval, api_ts, app_ts, day_date, day_start
from microproduct.timeutil import parse_api_ts as from_api
from microproduct.timeutil import parse_app_ts as from_app
from microproduct.traits import Traits, lognormal, uniform

ACTION_WINDOW = 23 * 3600  # decisions happen before 23:00 UTC, so follow-ups stay inside the day
LIVE = ("trialing", "active", "past_due")
_SUB_TIMES = (
    "trial_start_at",
    "trial_end_at",
    "started_at",
    "current_period_start",
    "current_period_end",
    "canceled_at",
    "ended_at",
    "created_at",
    "updated_at",
)
_INVOICE_TIMES = ("period_start", "period_end", "issued_at", "paid_at", "refunded_at", "updated_at")
_PAYMENT_TIMES = ("attempted_at", "refunded_at", "updated_at")
MARKET_ZONES = [zone for _, zone, _ in world.MARKETS]


@dataclass(frozen=True)
class LifecycleEvent:
    """A subscription milestone the app also reports in its event stream."""

    seconds: int
    user_id: int
    event_type: str  # trial_started, subscription_started, subscription_canceled
    subscription_id: int
    plan_id: str


def _weights(pairs) -> tuple[list, np.ndarray]:
    names = [p[0] for p in pairs]
    probabilities = np.array([p[-1] for p in pairs], dtype=float)
    return names, probabilities / probabilities.sum()


class World:
    """The product's mutable state for a run of days. Load, simulate days, flush each day."""

    def __init__(self, seed: int, scale: float, counters: dict[str, int]) -> None:
        self.seed = seed
        self.scale = scale
        self.counters = dict(counters)  # next ids: user, subscription, invoice, payment
        self.prices: dict[str, int] = {}
        self.plans: dict[str, dict] = {}
        # users (index = user_id - 1; ids are contiguous from 1)
        self.users: list[dict] = []
        self.created_sec: list[int] = []
        self.deleted_sec: list[int] = []  # -1 = not deleted
        self.zone_index: list[int] = []
        self.traits: Traits | None = None
        # subscriptions and billing
        self.subs: dict[int, dict] = {}
        self.live_by_user: dict[int, int] = {}
        self.ever_subscribed: set[int] = set()
        self.last_sub_by_user: dict[int, int] = {}
        self.open_invoices: dict[str, dict] = {}
        self.recent_payments: dict[str, dict] = {}
        self.recent_invoices: dict[str, dict] = {}  # the invoices of recent_payments
        self._dirty: dict[str, dict] = {}
        self._reset_dirty()

    # ------------------------------------------------------------------------------- persistence
    def _reset_dirty(self) -> None:
        self._dirty = {
            "plans": {},
            "users": {},
            "subscriptions": {},
            "invoices": {},
            "payments": {},
        }

    def create_plans(self) -> None:
        for plan_id, (name, tier, interval, price) in world.PLANS.items():
            self.plans[plan_id] = {
                "plan_id": plan_id,
                "plan_name": name,
                "tier": tier,
                "billing_interval": interval,
                "price_cents": price,
                "currency": world.CURRENCY,
                "is_active": 1,
                "created_at": world.PLANS_CREATED_AT,
                "updated_at": world.PLANS_CREATED_AT,
            }
            self.prices[plan_id] = price
            self._dirty["plans"][plan_id] = self.plans[plan_id]
        self.traits = Traits(self.seed, np.empty(0, dtype=np.int64), self._platform_weights())

    @staticmethod
    def _platform_weights() -> list[float]:
        return [w for _, w in world.PLATFORMS]

    def load(self, app: sqlite3.Connection, billing: sqlite3.Connection, day: int) -> None:
        """Rebuild the in-memory state from the two stores, as it stood at the start of ``day``."""
        cols = appdb.PLAN_COLUMNS
        for row in app.execute(f"select {', '.join(cols)} from plans order by plan_id"):  # noqa: S608
            plan = dict(zip(cols, row, strict=True))
            self.plans[plan["plan_id"]] = plan
            self.prices[plan["plan_id"]] = plan["price_cents"]
        cols = appdb.USER_COLUMNS
        for row in app.execute(f"select {', '.join(cols)} from users order by user_id"):  # noqa: S608
            user = dict(zip(cols, row, strict=True))
            if user["user_id"] != len(self.users) + 1:
                raise RuntimeError("user ids are not contiguous: the app DB was edited by hand?")
            self._add_user_arrays(user)
        self.traits = Traits(self.seed, np.arange(1, len(self.users) + 1), self._platform_weights())
        cols = appdb.SUBSCRIPTION_COLUMNS
        query = f"select {', '.join(cols)} from subscriptions order by subscription_id"  # noqa: S608
        for row in app.execute(query):
            sub = dict(zip(cols, row, strict=True))
            for key in _SUB_TIMES:
                sub[key] = from_app(sub[key])
            sub.update(open_invoice=None, attempts=0, next_retry=None)
            self.subs[sub["subscription_id"]] = sub
            self.ever_subscribed.add(sub["user_id"])
            self.last_sub_by_user[sub["user_id"]] = sub["subscription_id"]
            if sub["status"] in LIVE:
                self.live_by_user[sub["user_id"]] = sub["subscription_id"]
        cols = billing_store.INVOICE_COLUMNS
        query = f"select {', '.join(cols)} from invoices where status = 'open' order by invoice_id"  # noqa: S608
        for row in billing.execute(query):
            invoice = _times(dict(zip(cols, row, strict=True)), _INVOICE_TIMES, from_api)
            self.open_invoices[invoice["invoice_id"]] = invoice
            attempts, last = billing.execute(
                "select count(*), max(attempted_at) from payments "
                "where invoice_id = ? and status = 'failed'",
                [invoice["invoice_id"]],
            ).fetchone()
            sub = self.subs[invoice["subscription_id"]]
            sub.update(
                open_invoice=invoice["invoice_id"],
                attempts=attempts,
                next_retry=from_api(last) + world.PAYMENT_RETRY_DAYS * DAY,
            )
        cols = billing_store.PAYMENT_COLUMNS
        cutoff = api_ts(day_start(day) - world.REFUND_WINDOW_DAYS * DAY)
        query = (
            f"select {', '.join(cols)} from payments "  # noqa: S608 - fixed names
            "where status = 'succeeded' and attempted_at >= ? order by payment_id"
        )
        for row in billing.execute(query, [cutoff]):
            payment = _times(dict(zip(cols, row, strict=True)), _PAYMENT_TIMES, from_api)
            self.recent_payments[payment["payment_id"]] = payment
        cols = billing_store.INVOICE_COLUMNS
        query = (
            f"select {', '.join(cols)} from invoices where invoice_id in ("  # noqa: S608
            "select invoice_id from payments where status = 'succeeded' and attempted_at >= ?) "
            "order by invoice_id"
        )
        for row in billing.execute(query, [cutoff]):
            invoice = _times(dict(zip(cols, row, strict=True)), _INVOICE_TIMES, from_api)
            self.recent_invoices[invoice["invoice_id"]] = invoice

    def flush(self, app: sqlite3.Connection, billing: sqlite3.Connection) -> None:
        """Write the rows changed today (sorted by key, so files are deterministic) and commit."""
        dirty = self._dirty
        appdb.upsert(app, "plans", [dirty["plans"][k] for k in sorted(dirty["plans"])])
        appdb.upsert(app, "users", [dirty["users"][k] for k in sorted(dirty["users"])])
        appdb.upsert(
            app,
            "subscriptions",
            [
                _times(dict(dirty["subscriptions"][k]), _SUB_TIMES, app_ts)
                for k in sorted(dirty["subscriptions"])
            ],
        )
        for key in sorted(dirty["invoices"]):
            billing_store.put_invoice(
                billing, _times(dict(dirty["invoices"][key]), _INVOICE_TIMES, api_ts)
            )
        for key in sorted(dirty["payments"]):
            billing_store.put_payment(
                billing, _times(dict(dirty["payments"][key]), _PAYMENT_TIMES, api_ts)
            )
        app.commit()
        billing.commit()
        self._reset_dirty()

    # ------------------------------------------------------------------------------- users
    def _add_user_arrays(self, user: dict) -> None:
        self.users.append(user)
        self.created_sec.append(from_app(user["created_at"]))
        self.deleted_sec.append(from_app(user["deleted_at"]) if user["deleted_at"] else -1)
        self.zone_index.append(MARKET_ZONES.index(user["timezone"]))

    def _touch_user(self, user: dict, seconds: int) -> None:
        user["updated_at"] = app_ts(seconds)
        self._dirty["users"][user["user_id"]] = user

    def _expected_signups(self, day: int) -> tuple[float, float]:
        """Expected sign-ups on ``day`` before daily noise: (organic mix, marketing spike)."""
        base = world.SIGNUPS_PER_DAY * self.scale * (1 + world.SIGNUP_GROWTH_PER_DAY) ** day
        # a slow wobble: the 7-day moving average of hashed daily shocks (no state to carry)
        shocks = np.log(lognormal(self.seed, np.arange(day, day + 7) + 1_000, "drift", 1.0)) + 0.5
        drift = world.SIGNUP_DRIFT_SIGMA * float(shocks.mean()) * np.sqrt(7)
        weekday = world.WEEKDAY_FACTOR[day_date(day).weekday()]
        organic = base * weekday * np.exp(drift - world.SIGNUP_DRIFT_SIGMA**2 / 2)
        spike = 0.0
        if day >= world.SPIKE_DAY:
            halvings = (day - world.SPIKE_DAY) / world.SPIKE_HALF_LIFE_DAYS
            spike = base * world.SPIKE_LIFT * 0.5**halvings
        return organic, spike

    def _signups(self, day: int, rng: np.random.Generator) -> list[int]:
        organic, spike = self._expected_signups(day)
        noise = rng.lognormal(0.0, world.SIGNUP_NOISE_SIGMA)
        n = int(rng.poisson((organic + spike) * noise))
        created = np.sort(day_start(day) + rng.integers(0, ACTION_WINDOW, n))
        markets = rng.choice(len(world.MARKETS), n, p=_weights(world.MARKETS)[1])
        channels, channel_p = _weights(world.CHANNELS)
        channel = rng.choice(len(channels), n, p=channel_p)
        from_campaign = rng.random(n) < spike / (organic + spike)
        channel[from_campaign] = channels.index(world.SPIKE_CHANNEL)
        new_ids = []
        for k in range(n):
            user_id = self._next("user")
            country, zone, _ = world.MARKETS[markets[k]]
            stamp = app_ts(int(created[k]))
            user = {
                "user_id": user_id,
                "email": f"user{user_id}@example.com",
                "country_code": country,
                "timezone": zone,
                "signup_channel": channels[channel[k]],
                "created_at": stamp,
                "updated_at": stamp,
                "deleted_at": None,
            }
            self._add_user_arrays(user)
            self._dirty["users"][user_id] = user
            new_ids.append(user_id)
        if new_ids:
            fresh = Traits(self.seed, np.array(new_ids), self._platform_weights())
            self.traits = _concat_traits(self.traits, fresh)
        return new_ids

    # ------------------------------------------------------------------------------- billing
    def _next(self, counter: str) -> int:
        value = self.counters[counter]
        self.counters[counter] = value + 1
        return value

    def _issue_invoice(self, sub: dict, start: int, end: int, rng: np.random.Generator) -> None:
        """Bill a period in advance (issued at its start) and try to collect at once."""
        invoice = {
            "invoice_id": billing_store.invoice_id(self._next("invoice")),
            "subscription_id": sub["subscription_id"],
            "user_id": sub["user_id"],
            "plan_id": sub["plan_id"],
            "status": "open",
            "currency": world.CURRENCY,
            "amount_due_cents": self.prices[sub["plan_id"]],
            "amount_paid_cents": 0,
            "amount_refunded_cents": 0,
            "period_start": start,
            "period_end": end,
            "issued_at": start,
            "paid_at": None,
            "refunded_at": None,
            "updated_at": start,
        }
        self.open_invoices[invoice["invoice_id"]] = invoice
        self._dirty["invoices"][invoice["invoice_id"]] = invoice
        sub.update(open_invoice=invoice["invoice_id"], attempts=0, next_retry=None)
        self._attempt_payment(sub, start, rng)

    def _attempt_payment(self, sub: dict, seconds: int, rng: np.random.Generator) -> None:
        invoice = self.open_invoices[sub["open_invoice"]]
        rate = world.PAYMENT_RETRY_FAILURE if sub["attempts"] else world.PAYMENT_FAILURE
        failed = rng.random() < rate
        codes, code_p = _weights(world.FAILURE_CODES)
        code = codes[rng.choice(len(codes), p=code_p)] if failed else None
        payment = {
            "payment_id": billing_store.payment_id(self._next("payment")),
            "invoice_id": invoice["invoice_id"],
            "user_id": sub["user_id"],
            "amount_cents": invoice["amount_due_cents"],
            "amount_refunded_cents": 0,
            "currency": world.CURRENCY,
            "status": "failed" if failed else "succeeded",
            "failure_code": code,
            "attempted_at": seconds,
            "refunded_at": None,
            "updated_at": seconds,
        }
        self._dirty["payments"][payment["payment_id"]] = payment
        invoice["updated_at"] = seconds
        self._dirty["invoices"][invoice["invoice_id"]] = invoice
        if not failed:
            invoice.update(
                status="paid", amount_paid_cents=invoice["amount_due_cents"], paid_at=seconds
            )
            del self.open_invoices[invoice["invoice_id"]]
            self.recent_payments[payment["payment_id"]] = payment
            self.recent_invoices[invoice["invoice_id"]] = invoice
            sub.update(open_invoice=None, attempts=0, next_retry=None)
            if sub["status"] == "past_due":
                self._set(sub, seconds, status="active")
            return
        sub["attempts"] += 1
        if sub["attempts"] >= world.PAYMENT_MAX_ATTEMPTS:  # involuntary churn
            invoice["status"] = "uncollectible"
            del self.open_invoices[invoice["invoice_id"]]
            sub.update(open_invoice=None, next_retry=None)
            self._end(sub, seconds)
        else:
            sub["next_retry"] = seconds + world.PAYMENT_RETRY_DAYS * DAY
            if sub["status"] != "past_due":
                self._set(sub, seconds, status="past_due")

    # ------------------------------------------------------------------------------- subscriptions
    def _set(self, sub: dict, seconds: int, **changes) -> None:
        sub.update(changes, updated_at=seconds)
        self._dirty["subscriptions"][sub["subscription_id"]] = sub

    def _end(self, sub: dict, seconds: int) -> None:
        self._set(sub, seconds, status="canceled", ended_at=seconds)
        del self.live_by_user[sub["user_id"]]

    def _new_subscription(self, user_id: int, plan_id: str, seconds: int) -> dict:
        sub = {
            "subscription_id": self._next("subscription"),
            "user_id": user_id,
            "plan_id": plan_id,
            "status": None,
            "trial_start_at": None,
            "trial_end_at": None,
            "started_at": None,
            "current_period_start": None,
            "current_period_end": None,
            "cancel_at_period_end": 0,
            "canceled_at": None,
            "ended_at": None,
            "created_at": seconds,
            "updated_at": seconds,
            "open_invoice": None,
            "attempts": 0,
            "next_retry": None,
        }
        self.subs[sub["subscription_id"]] = sub
        self.live_by_user[user_id] = sub["subscription_id"]
        self.ever_subscribed.add(user_id)
        self.last_sub_by_user[user_id] = sub["subscription_id"]
        return sub

    def _start_paid(self, sub: dict, seconds: int, rng, events: list[LifecycleEvent]) -> None:
        interval = self.plans[sub["plan_id"]]["billing_interval"]
        end = add_interval(seconds, interval)
        self._set(
            sub,
            seconds,
            status="active",
            started_at=seconds,
            current_period_start=seconds,
            current_period_end=end,
        )
        events.append(self._event(sub, seconds, "subscription_started"))
        self._issue_invoice(sub, seconds, end, rng)

    def _event(self, sub: dict, seconds: int, kind: str) -> LifecycleEvent:
        return LifecycleEvent(seconds, sub["user_id"], kind, sub["subscription_id"], sub["plan_id"])

    def _pick_plan(self, rng: np.random.Generator) -> str:
        names, p = _weights(world.PLAN_CHOICE)
        return names[rng.choice(len(names), p=p)]

    # ------------------------------------------------------------------------------- one day
    def simulate_day(self, day: int, rng: np.random.Generator) -> list[LifecycleEvent]:
        """Simulate ``day``; return its subscription milestones (for the event stream)."""
        t0 = day_start(day)
        t1 = t0 + DAY
        events: list[LifecycleEvent] = []
        if day == world.PRICE_CHANGE_DAY:
            plan_id, price = world.PRICE_CHANGE
            self.prices[plan_id] = price
            self.plans[plan_id].update(price_cents=price, updated_at=app_ts(t0))
            self._dirty["plans"][plan_id] = self.plans[plan_id]
        self._signups(day, rng)
        self._scheduled(t1, rng, events)
        self._decisions(day, t0, rng, events)
        events.sort(key=lambda e: (e.seconds, e.subscription_id, e.event_type))
        return events

    def _scheduled(self, t1: int, rng, events: list[LifecycleEvent]) -> None:
        for sub_id in sorted(self.live_by_user.values()):
            sub = self.subs[sub_id]
            if sub["status"] == "trialing":
                if sub["trial_end_at"] < t1:
                    if sub["cancel_at_period_end"]:
                        self._end(sub, sub["trial_end_at"])
                    else:
                        self._start_paid(sub, sub["trial_end_at"], rng, events)
                continue
            if sub["next_retry"] is not None and sub["next_retry"] < t1:
                self._attempt_payment(sub, sub["next_retry"], rng)
            if sub["status"] == "active" and sub["current_period_end"] < t1:
                end = sub["current_period_end"]
                if sub["cancel_at_period_end"]:
                    self._end(sub, end)
                else:
                    interval = self.plans[sub["plan_id"]]["billing_interval"]
                    later = add_interval(end, interval)
                    self._set(sub, end, current_period_start=end, current_period_end=later)
                    self._issue_invoice(sub, end, later, rng)

    def _decisions(self, day: int, t0: int, rng, events: list[LifecycleEvent]) -> None:
        """Today's choices. Every group draws one uniform number per candidate (in id order) and
        acts where it falls below the daily probability: vectorised draws, Python only for hits."""
        n_users = len(self.users)
        ids = np.arange(1, n_users + 1)
        created = np.array(self.created_sec, dtype=np.int64)
        deleted = np.array(self.deleted_sec, dtype=np.int64) >= 0
        live = np.zeros(n_users + 1, dtype=bool)
        live[list(self.live_by_user)] = True
        ever = np.zeros(n_users + 1, dtype=bool)
        ever[list(self.ever_subscribed)] = True
        live, ever = live[1:], ever[1:]
        times = t0 + rng.integers(0, ACTION_WINDOW, n_users)  # one candidate time per user
        times = np.maximum(times, created + 60)
        intent = self.traits.intent

        # free users: trial or direct purchase (a fresh sign-up is likeliest to try)
        u = rng.random(n_users)
        fresh = created >= t0
        p_trial = np.where(fresh, world.TRIAL_START_SIGNUP_DAY, world.TRIAL_START) * intent
        p_direct = np.where(fresh, world.DIRECT_PURCHASE_SIGNUP_DAY, world.DIRECT_PURCHASE) * intent
        free = ~ever & ~deleted & (t0 - created < world.FREE_WINDOW_DAYS * DAY)
        for index in np.flatnonzero(free & (u < p_trial + p_direct)):
            user_id, seconds = int(ids[index]), int(times[index])
            sub = self._new_subscription(user_id, self._pick_plan(rng), seconds)
            if u[index] < p_trial[index]:
                self._set(
                    sub,
                    seconds,
                    status="trialing",
                    trial_start_at=seconds,
                    trial_end_at=seconds + world.TRIAL_DAYS * DAY,
                )
                events.append(self._event(sub, seconds, "trial_started"))
                if rng.random() < world.TRIAL_CANCEL_START_DAY:  # turns auto-renewal off at once
                    later = seconds + int(rng.integers(60, 3000))
                    self._set(sub, later, cancel_at_period_end=1, canceled_at=later)
                    events.append(self._event(sub, later, "subscription_canceled"))
            else:
                self._start_paid(sub, seconds, rng, events)

        # churned users come back with a new subscription
        u = rng.random(n_users)
        for index in np.flatnonzero(ever & ~live & ~deleted & (u < world.REACTIVATE)):
            user_id, seconds = int(ids[index]), int(times[index])
            if self.subs[self.last_sub_by_user[user_id]]["ended_at"] >= t0:
                continue  # churned only today: come back another day
            sub = self._new_subscription(user_id, self._pick_plan(rng), seconds)
            self._start_paid(sub, seconds, rng, events)

        # live subscriptions: cancel, change plan
        for sub_id in sorted(self.live_by_user.values()):
            sub = self.subs[sub_id]
            u_cancel, u_change = rng.random(2)
            if sub["updated_at"] >= t0:  # one change per subscription per day keeps time monotonic
                continue
            seconds = int(times[sub["user_id"] - 1])
            interval = self.plans[sub["plan_id"]]["billing_interval"]
            if sub["status"] == "trialing":
                if not sub["cancel_at_period_end"] and u_cancel < world.TRIAL_CANCEL:
                    self._set(sub, seconds, cancel_at_period_end=1, canceled_at=seconds)
                    events.append(self._event(sub, seconds, "subscription_canceled"))
            elif sub["status"] == "past_due":
                if u_cancel < world.CANCEL_PAST_DUE:  # cancel now; nothing more to collect
                    invoice = self.open_invoices.pop(sub["open_invoice"])
                    invoice.update(status="void", updated_at=seconds)
                    self._dirty["invoices"][invoice["invoice_id"]] = invoice
                    sub.update(open_invoice=None, next_retry=None)
                    self._set(sub, seconds, cancel_at_period_end=1, canceled_at=seconds)
                    events.append(self._event(sub, seconds, "subscription_canceled"))
                    self._end(sub, seconds)
            elif not sub["cancel_at_period_end"]:
                if interval == "year":
                    rate = world.CANCEL_ANNUAL
                elif sub["current_period_start"] == sub["started_at"]:  # not renewed yet
                    rate = world.CANCEL_MONTHLY_FIRST_PERIOD
                else:
                    rate = world.CANCEL_MONTHLY
                if u_cancel < rate:
                    self._set(sub, seconds, cancel_at_period_end=1, canceled_at=seconds)
                    events.append(self._event(sub, seconds, "subscription_canceled"))
                elif u_change < world.UPGRADE_RATE + world.DOWNGRADE_RATE:
                    table = world.UPGRADE if u_change < world.UPGRADE_RATE else world.DOWNGRADE
                    if sub["plan_id"] in table:
                        end = add_interval(seconds, interval)
                        self._set(
                            sub,
                            seconds,
                            plan_id=table[sub["plan_id"]],
                            current_period_start=seconds,
                            current_period_end=end,
                        )
                        self._issue_invoice(sub, seconds, end, rng)

        # refunds of recent payments: whether, when and how much is a hash of the payment, so
        # the refunds do not move when other hazards are tuned
        cutoff = t0 - world.REFUND_WINDOW_DAYS * DAY
        for payment_id in sorted(self.recent_payments):
            payment = self.recent_payments[payment_id]
            if payment["attempted_at"] < cutoff or payment["status"] != "succeeded":
                del self.recent_payments[payment_id]
                self.recent_invoices.pop(payment["invoice_id"], None)
                continue
            due, partial = self._refund_plan(payment_id)
            if due is None or payment["attempted_at"] + due * DAY >= t0 + DAY:
                continue
            invoice = self.recent_invoices[payment["invoice_id"]]
            sub = self.subs[invoice["subscription_id"]]
            if sub["updated_at"] >= t0:  # one change per subscription per day: tomorrow
                continue
            seconds = max(int(times[payment["user_id"] - 1]), payment["attempted_at"] + 60)
            self._refund(payment, invoice, seconds, partial)
            current = sub["current_period_start"] == invoice["period_start"]
            if not partial and sub["status"] == "active" and current:
                self._cancel_refunded(sub, seconds, events)
            del self.recent_payments[payment_id]
            del self.recent_invoices[invoice["invoice_id"]]

        # profile edits and soft deletes
        u_edit, u_kind, u_delete = rng.random(n_users), rng.random(n_users), rng.random(n_users)
        live_now = np.zeros(n_users + 1, dtype=bool)
        live_now[list(self.live_by_user)] = True
        market_p = _weights(world.MARKETS)[1]
        for index in np.flatnonzero(
            ~deleted & ~fresh & ((u_edit < world.PROFILE_EDIT) | (u_delete < world.SOFT_DELETE))
        ):
            user = self.users[index]
            seconds = int(times[index])
            last_sub = self.subs.get(self.last_sub_by_user.get(user["user_id"], -1))
            quiet = not live_now[index + 1] and (last_sub is None or last_sub["updated_at"] < t0)
            if u_delete[index] < world.SOFT_DELETE and quiet:
                user["deleted_at"] = app_ts(seconds)
                self.deleted_sec[index] = seconds
                self._touch_user(user, seconds)
            elif u_edit[index] < world.PROFILE_EDIT:
                if u_kind[index] < 0.7:
                    user["email"] = f"user{user['user_id']}.{day}@example.com"
                else:  # moved: new country and device zone
                    market = int(rng.choice(len(world.MARKETS), p=market_p))
                    user["country_code"], user["timezone"] = world.MARKETS[market][:2]
                    self.zone_index[index] = market
                self._touch_user(user, seconds)

    def _refund_plan(self, payment_id: str) -> tuple[int | None, bool]:
        """(days after the charge the refund is due, or None; whether it is partial)."""
        number = np.array([int(payment_id.removeprefix("py_"))])
        if uniform(self.seed, number, "refund")[0] >= world.REFUND_SHARE:
            return None, False
        # most refunds are asked for within a day or two of the charge
        delay = uniform(self.seed, number, "refund_delay")[0] ** 2 * world.REFUND_WINDOW_DAYS
        partial = uniform(self.seed, number, "refund_partial")[0] < world.PARTIAL_REFUND_SHARE
        return int(delay), bool(partial)

    def _refund(self, payment: dict, invoice: dict, seconds: int, partial: bool) -> None:
        """Give money back: a full refund, or (``partial``) a goodwill credit of part of it. The
        payment becomes ``refunded``; the invoice stays ``paid`` and records the refund."""
        amount = payment["amount_cents"]
        if partial:
            amount = int(round(amount * world.PARTIAL_REFUND_FRACTION))
        payment.update(
            status="refunded", amount_refunded_cents=amount, refunded_at=seconds, updated_at=seconds
        )
        invoice.update(amount_refunded_cents=amount, refunded_at=seconds, updated_at=seconds)
        self._dirty["payments"][payment["payment_id"]] = payment
        self._dirty["invoices"][invoice["invoice_id"]] = invoice

    def _cancel_refunded(self, sub: dict, seconds: int, events: list[LifecycleEvent]) -> None:
        """A full refund of the period being served comes with a cancellation: the subscription
        will not renew (access runs to the period end, Stripe's default when a charge is refunded
        without ending the subscription at once)."""
        if not sub["cancel_at_period_end"]:
            self._set(sub, seconds, cancel_at_period_end=1, canceled_at=seconds)
            events.append(self._event(sub, seconds, "subscription_canceled"))

    def live_users_mask(self) -> np.ndarray:
        """Boolean per user (index = user_id - 1): has a trialing/active/past-due subscription."""
        mask = np.zeros(len(self.users) + 1, dtype=bool)
        mask[list(self.live_by_user)] = True
        return mask[1:]


def _times(row: dict, keys: tuple[str, ...], convert) -> dict:
    for key in keys:
        row[key] = convert(row[key])
    return row


def _concat_traits(old: Traits, new: Traits) -> Traits:
    merged = object.__new__(Traits)
    for name, value in vars(new).items():
        setattr(merged, name, np.concatenate([getattr(old, name), value]))
    return merged
