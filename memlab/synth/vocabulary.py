"""Word lists the synthetic workload writes with: the software terms, names and errors of agent work.

Lists are ordered most common first: samplers weight them Zipf-like by rank, so a few terms
dominate and a long tail appears now and then, as in real engineering chat.
"""

from __future__ import annotations

COMPONENTS = (
    "auth service", "API gateway", "billing worker", "search indexer", "session store",
    "checkout flow", "notification queue", "rate limiter", "payment gateway", "export job",
    "admin dashboard", "ingest pipeline", "webhook dispatcher", "report generator",
    "cache layer", "migration runner", "scheduler", "upload handler", "embedding service",
    "feature flag service", "audit log", "permissions module", "email sender", "CLI",
    "mobile client", "GraphQL resolver", "retry queue", "metrics exporter", "config loader",
    "settings page", "invoice renderer", "data warehouse sync", "ranking model",
    "recommendation service", "image resizer", "PDF exporter", "SSO integration",
    "onboarding wizard", "usage meter", "quota enforcer", "tenant router", "backup job",
    "log shipper", "event bus", "websocket server", "job runner", "cron scheduler",
    "vector store", "prompt builder", "memory injector",
)

VERBS = (
    "get", "load", "parse", "validate", "build", "fetch", "update", "create", "handle",
    "render", "sync", "resolve", "compute", "normalize", "flush", "retry", "serialize",
    "apply", "merge", "dispatch", "refresh", "encode", "decode", "index", "schedule",
    "register", "enqueue", "hydrate", "reconcile", "migrate", "sanitize", "authorize",
    "throttle", "aggregate", "paginate", "rebuild", "invalidate", "prefetch", "emit",
    "collect",
)

NOUNS = (
    "user", "session", "config", "token", "request", "message", "invoice", "payload",
    "cache", "query", "schema", "order", "event", "batch", "record", "account", "report",
    "context", "index", "response", "tenant", "permission", "webhook", "embedding",
    "metric", "snapshot", "cursor", "job", "queue", "profile", "price", "receipt",
    "template", "manifest", "checkpoint", "document", "chunk", "summary", "route", "quota",
)

CLASS_SUFFIXES = (
    "Service", "Repository", "Client", "Handler", "Manager", "Parser", "Serializer",
    "Builder", "Store", "Router", "Validator", "Cache", "Worker", "Factory", "Adapter",
    "Controller", "Provider", "Resolver", "Scheduler", "Registry",
)

DIRECTORIES = (
    "src/api", "src/core", "src/services", "app/models", "tests", "src/db", "web/components",
    "services/billing", "lib", "src/workers", "internal/store", "cmd/server", "scripts",
    "migrations", "src/utils", "packages/ui/src", "infra/terraform", "deploy/helm",
    "src/search", "src/memory",
)

MODULE_ROLES = (
    "loader", "client", "handler", "parser", "store", "service", "worker", "views",
    "models", "routes", "tasks", "schema", "helpers", "types", "config", "cli",
)

EXTENSIONS = (
    ".py", ".ts", ".tsx", ".go", ".sql", ".yaml", ".rs", ".js", ".toml", ".md", ".json",
    ".sh",
)

LIBRARIES = (
    "pytest", "pandas", "SQLAlchemy", "React", "FastAPI", "PostgreSQL", "SQLite", "Redis",
    "Docker", "TypeScript", "Pydantic", "Django", "Celery", "numpy", "Kubernetes",
    "requests", "httpx", "asyncio", "Jest", "Playwright", "Terraform", "GitHub Actions",
    "Kafka", "gRPC", "GraphQL", "Vite", "webpack", "OpenTelemetry", "Prometheus",
    "Grafana", "Sentry", "boto3", "Alembic", "tokio", "serde", "Next.js", "Tailwind",
    "ESLint", "mypy", "ruff", "uvicorn", "gunicorn", "nginx", "Elasticsearch", "pgvector",
    "LangGraph", "matplotlib", "Jupyter", "hypothesis", "Helm",
)

TABLES = (
    "users", "sessions", "orders", "invoices", "events", "messages", "accounts",
    "subscriptions", "payments", "audit_log", "jobs", "documents", "embeddings",
    "api_keys", "tenants", "feature_flags",
)

COLUMNS = (
    "created_at", "user_id", "status", "updated_at", "tenant_id", "amount_cents", "email",
    "deleted_at", "external_id", "payload", "priority", "expires_at", "version",
    "retry_count", "currency", "score",
)

ENV_VARS = (
    "DATABASE_URL", "REDIS_URL", "LOG_LEVEL", "REQUEST_TIMEOUT", "MAX_RETRIES",
    "WORKER_CONCURRENCY", "FEATURE_NEW_CHECKOUT", "CACHE_TTL_SECONDS", "SENTRY_DSN",
    "POOL_SIZE", "BATCH_SIZE", "EMBEDDING_MODEL", "RATE_LIMIT_PER_MINUTE",
)

EXCEPTIONS = (
    "KeyError", "TypeError", "AttributeError", "ValueError", "TimeoutError",
    "sqlite3.OperationalError", "ConnectionResetError", "AssertionError", "ImportError",
    "IntegrityError", "json.JSONDecodeError", "PermissionError", "RecursionError",
    "UnicodeDecodeError", "FileNotFoundError", "MemoryError",
)

ERROR_DETAILS = (
    "'{noun}_id'", "'NoneType' object has no attribute '{noun}'",
    "database is locked", "connection reset by peer", "read timed out after {n}s",
    "UNIQUE constraint failed: {table}.{column}", "expected 200, got 500",
    "Expecting value: line 1 column 1 (char 0)", "cannot import name '{func}'",
    "maximum recursion depth exceeded", "invalid literal for int() with base 10: ''",
    "permission denied: '{file}'", "No such file or directory: '{file}'",
    "unsupported operand type(s) for +: 'int' and 'str'",
    "'utf-8' codec can't decode byte 0xff in position 0",
)

CONCEPTS = (
    "retry with exponential backoff", "idempotency keys", "connection pooling",
    "cache invalidation", "pagination", "rate limiting", "structured logging",
    "optimistic locking", "schema migrations", "dependency injection", "feature flags",
    "backpressure", "eventual consistency", "circuit breakers", "batch inserts",
    "read replicas", "contract tests", "property-based testing", "type hints",
    "prompt caching", "vector search", "blue-green deployment", "observability",
    "sharding", "dead-letter queues", "the outbox pattern", "write-ahead logging",
    "full-text search", "context window limits", "token budgets", "streaming responses",
    "graceful shutdown", "health checks", "secret rotation", "canary releases",
)

ADJECTIVES = (
    "flaky", "slow", "intermittent", "noisy", "brittle", "stale", "duplicated",
    "missing", "unbounded", "racy", "leaky", "inconsistent", "oversized", "silent",
)

METRICS = (
    "p95 latency", "error rate", "throughput", "memory usage", "CPU time",
    "queue depth", "cold start time", "cache hit rate", "p99 latency", "build time",
    "token spend", "disk usage",
)

PEOPLE = (
    "Priya", "Marco", "Aiko", "Sam", "Lena", "Tomás", "Wei", "Fatima", "Jonas", "Grace",
    "Omar", "Ines", "Kofi", "Mei", "Diego", "Hannah",
)

WHEN = (
    "today", "tomorrow", "by Friday", "before the release", "this sprint",
    "after standup", "next week", "before the demo", "by end of day", "on Monday",
)

BRANCH_PREFIXES = ("feature", "fix", "chore", "refactor", "perf", "test", "docs")

FIRST_NAMES = (
    "ana", "ben", "chen", "dara", "eli", "fern", "gus", "hana", "ivan", "jade", "kai",
    "lia", "milo", "nora", "otto", "pia", "quinn", "ravi", "sara", "theo", "uma", "vera",
    "wes", "xena", "yusuf", "zoe",
)

LAST_NAMES = (
    "silva", "okafor", "tanaka", "novak", "haddad", "larsen", "moreau", "kowalski",
    "nguyen", "fischer", "ibrahim", "costa", "schmidt", "park", "rossi", "walsh",
)

PROJECTS = (
    "billing-service", "search-api", "mobile-app", "data-platform", "checkout-web",
    "identity", "ml-pipeline", "agent-runtime", "docs-site", "analytics-etl", "infra",
    "support-bot",
)

# User preferences an assistant learns: key -> possible values, most common first.
PREFERENCES = {
    "editor": ("vscode", "neovim", "jetbrains", "vim", "emacs", "zed"),
    "language": ("python", "typescript", "go", "rust", "java"),
    "test_framework": ("pytest", "jest", "go test", "vitest", "junit"),
    "answer_style": ("concise", "detailed", "code-first", "step-by-step"),
    "commit_style": ("conventional-commits", "small-commits", "squash"),
    "review_strictness": ("high", "medium", "low"),
    "timezone": ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London", "America/Los_Angeles"),
    "preferred_model": ("claude-sonnet-4-5", "gpt-5", "claude-opus-4-5", "gemini-2.5-pro"),
}

CLIENTS = ("cli", "vscode", "web", "jetbrains", "slack")
