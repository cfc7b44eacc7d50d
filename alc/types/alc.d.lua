---@meta alc
-- LuaCATS definitions of the alc.* API (docs/lua-api.md), for
-- lua-language-server: add this folder to `Lua.workspace.library` (`alc info` prints its path)
-- and strategies get completion and type checks. Declarations only; never executed.

---@alias alc.Json nil|boolean|number|string|table

---Options of one LLM query. Unknown keys (temperature, model, ...) are passed through to the
---driver in the query's `options` and ignored by hosts that do not use them.
---@class alc.LlmOpts
---@field system? string system prompt
---@field max_tokens? integer answer length cap (default 1024)
---@field grounded? boolean ask the host to ground the answer in external evidence
---@field underspecified? boolean the prompt depends on intent the host must resolve
---@field role? string opaque routing hint, a top-level field of the query (e.g. "nn")
---@field cache_breakpoint? string opaque prompt-cache hint for the host (e.g. "context")
---@field temperature? number pass-through sampling temperature
---@field model? string pass-through model name
---@field cache_key? string explicit key for alc.cache
---@field cache_skip? boolean alc.cache: always ask
---@field [string] any

---One item of alc.llm_batch: a prompt plus the same options as alc.llm.
---@class alc.LlmItem: alc.LlmOpts
---@field prompt string

---The ctx table a strategy's run receives: the caller's JSON object.
---@class alc.Ctx
---@field task? string the main input (most strategies require it)
---@field budget? alc.Budget limits for the whole session
---@field result? any algocline convention: run may store its result here and return ctx
---@field _ns? string alc.state namespace (default "default")
---@field _env? table<string, string> values for alc.env, given by the driver
---@field [string] any

---@class alc.Budget
---@field max_llm_calls? integer
---@field max_elapsed_ms? integer
---@field max_tokens? integer

---What alc.budget_remaining returns (fields absent when that limit is not set).
---@class alc.BudgetRemaining
---@field llm_calls? integer
---@field elapsed_ms? number
---@field tokens? integer

---One entry of M.meta.params.
---@class alc.ParamSpec
---@field name string
---@field type string "string" | "integer" | "number" | "boolean" | "table" | "string[]" ...
---@field default? any
---@field description string

---@class alc.Paper
---@field authors string
---@field year integer
---@field title string

---The metadata table a strategy package exports as M.meta.
---@class alc.Meta
---@field name string
---@field version string
---@field description string
---@field category? string
---@field paper? alc.Paper
---@field params? alc.ParamSpec[]
---@field example? table ctx for a demo run, e.g. {task = "..."}
---@field result? string where the answer and artefacts are in the result

---A strategy package: `return M` from `<name>/init.lua`.
---@class alc.Strategy
---@field meta alc.Meta
---@field run fun(ctx: alc.Ctx): any returns the result (or ctx with ctx.result)

---@class alc.VoteResult
---@field winner string|nil the most frequent answer (ties: the first seen)
---@field count integer its votes
---@field total integer all votes

---@class alc.MatchEnumOpts
---@field threshold? number Jaro-Winkler similarity for the fuzzy fallback (default 0.7)

---@class alc.ChunkOpts
---@field mode? "lines"|"chars" (default "lines")
---@field size? integer window size (default 50)
---@field overlap? integer overlap between windows (default 0)

---@class alc.ParallelOpts
---@field system? string shared system prompt (for string prompts)
---@field max_tokens? integer shared max_tokens (for string prompts)
---@field post_fn? fun(response: string, item: any, index: integer): any

---@class alc.PipeOpts
---@field on_error? "abort"|"skip"|"continue"
---@field on_stage? fun(index: integer, name: string, ctx: alc.Ctx)

---@class alc.TuningOpts
---@field prefix? string read overrides from ctx[prefix]

---@class alc.ForkOpts
---@field on_error? "abort"|"continue" abort fails the parent at the first child failure

---@class alc.ForkResult
---@field strategy string
---@field ok boolean
---@field result? any when ok
---@field error? string when not ok

---@class alc.CacheInfo
---@field entries integer
---@field hits integer
---@field misses integer
---@field max_entries integer

---@class alc.Rng
---@field seed integer
---@field state integer

---@class alc.StateApi
local state = {}
---@param key string
---@param default? any
---@return any
function state.get(key, default) end
---@param key string
---@param value any JSON-encodable
function state.set(key, value) end
---@return string[]
function state.keys() end
---@param key string
---@return boolean existed
function state.delete(key) end
---@param key string
---@return boolean
function state.has(key) end
---@param key string
---@param value any
---@return boolean written true when the key did not exist
function state.set_nx(key, value) end
---Atomic across sessions and processes.
---@param key string
---@param delta? number (default 1)
---@param default? number starting value (default 0)
---@return number
function state.incr(key, delta, default) end
---Read, apply fn, write back.
---@param key string
---@param fn fun(current: any): any
---@param default? any
---@return any
function state.update(key, fn, default) end
---Keys of namespace ns (nil: the session's), sorted, without *.bak backups.
---@param ns? string
---@return string[]
function state.list(ns) end
---The value of key in namespace ns (nil: the session's); an error ("not found") if absent.
---@param ns string|nil
---@param key string
---@return any
function state.show(ns, key) end
---Drop opts.steps from data.completed_steps and opts.fields from data; backup in <key>.bak.
---@param ns string|nil
---@param key string
---@param opts? {steps?: string[], fields?: string[]}
---@return {ok: boolean, backup_key: string, steps_removed: integer, fields_removed: integer}
function state.reset(ns, key, opts) end

---A card's summary (alc.card.list / find).
---@class alc.CardSummary
---@field card_id string
---@field pkg string
---@field created_at string RFC 3339 UTC
---@field model? string model.id
---@field scenario? string scenario.name
---@field pass_rate? number stats.pass_rate

---@class alc.CardAlias
---@field name string
---@field card_id string
---@field set_at string
---@field pkg? string
---@field note? string

---Immutable run records with samples, kept in the engine's store (docs/cards.md).
---@class alc.CardApi
local card = {}
---Write a new card (pkg.name required); card_id is generated unless given.
---@param card table
---@return {card_id: string, path: string}
function card.create(card) end
---@param card_id string
---@return table|nil card
function card.get(card_id) end
---Summaries, newest first.
---@param filter? {pkg?: string, limit?: integer}
---@return alc.CardSummary[]
function card.list(filter) end
---Summaries of the cards matching where (algocline's filter over the whole card).
---@param query? {pkg?: string, where?: table, order_by?: string|string[], limit?: integer, offset?: integer}
---@return alc.CardSummary[]
function card.find(query) end
---Add new top-level keys (existing keys are immutable); the merged card.
---@param card_id string
---@param fields table
---@return table
function card.append(card_id, fields) end
---Per-case rows, written once per card.
---@param card_id string
---@param samples table[]
---@return {path: string, count: integer}
function card.write_samples(card_id, samples) end
---@param card_id string
---@param opts? {where?: table, offset?: integer, limit?: integer}
---@return table[]
function card.read_samples(card_id, opts) end
---Bind (or re-bind) a mutable alias to a card.
---@param name string
---@param card_id string
---@param opts? {pkg?: string, note?: string}
---@return alc.CardAlias
function card.alias_set(name, card_id, opts) end
---@param filter? {pkg?: string}
---@return alc.CardAlias[]
function card.alias_list(filter) end
---@param name string
---@return table|nil card
function card.get_by_alias(name) end
---Ancestors / descendants through metadata.prior_card_id; nil when the card does not exist.
---@param query {card_id: string, direction?: "up"|"down"|"both", depth?: integer, include_stats?: boolean, relation_filter?: string[]}
---@return {root: string, nodes: table[], edges: table[], truncated: boolean}|nil
function card.lineage(query) end

---@class alc.StatsApi
local stats = {}
---Record a custom statistic (reported under stats.custom).
---@param key string
---@param value any
function stats.record(key, value) end
---@param key string
---@return any
function stats.get(key) end
---Queries this session issued so far (fork children included).
---@return integer
function stats.llm_calls() end

---@class alc.MathApi
local amath = {}
---@param seed? integer
---@return alc.Rng
function amath.rng_create(seed) end
---@param rng alc.Rng
---@return number
function amath.rng_float(rng) end
---@param rng alc.Rng
---@param min integer
---@param max integer
---@return integer
function amath.rng_int(rng, min, max) end
---@generic T
---@param rng alc.Rng
---@param t T[]
---@return T[]
function amath.shuffle(rng, t) end
---@generic T
---@param rng alc.Rng
---@param t T[]
---@param n integer
---@return T[]
function amath.sample_with_replacement(rng, t, n) end
---@param rng alc.Rng
---@param mean? number
---@param stddev? number
---@return number
function amath.normal_sample(rng, mean, stddev) end
---@param rng alc.Rng
---@param low? number
---@param high? number
---@return number
function amath.uniform_sample(rng, low, high) end
---@param rng alc.Rng
---@param lambda? number
---@return number
function amath.exp_sample(rng, lambda) end
---@param rng alc.Rng
---@param mu? number
---@param sigma? number
---@return number
function amath.lognormal_sample(rng, mu, sigma) end
---@param rng alc.Rng
---@param shape number
---@param scale? number
---@return number
function amath.gamma_sample(rng, shape, scale) end
---@param rng alc.Rng
---@param alpha number
---@param beta number
---@return number
function amath.beta_sample(rng, alpha, beta) end
---@param rng alc.Rng
---@param df number
---@return number
function amath.chi_squared_sample(rng, df) end
---@param rng alc.Rng
---@param df number
---@return number
function amath.student_t_sample(rng, df) end
---@param rng alc.Rng
---@param lambda number
---@return integer
function amath.poisson_sample(rng, lambda) end
---@param rng alc.Rng
---@param n integer
---@param p number
---@return integer
function amath.binomial_sample(rng, n, p) end
---@param rng alc.Rng
---@param weights number[]
---@return integer index 1-based
function amath.categorical_sample(rng, weights) end
---@param rng alc.Rng
---@param alphas number[]
---@return number[]
function amath.dirichlet_sample(rng, alphas) end
---@param data number[]
---@return number
function amath.mean(data) end
---@param data number[]
---@return number
function amath.median(data) end
---@param data number[]
---@return number sample (n - 1) variance
function amath.variance(data) end
---@param data number[]
---@return number
function amath.stddev(data) end
---@param data number[]
---@param p number 0..100
---@return number
function amath.percentile(data, p) end
---@param data number[]
---@return number
function amath.iqr(data) end
---@param xs number[]
---@param ys number[]
---@return number
function amath.covariance(xs, ys) end
---@param xs number[]
---@param ys number[]
---@return number
function amath.correlation(xs, ys) end
---@param data number[]
---@param bins integer
---@return {counts: integer[], edges: number[]}
function amath.histogram(data, bins) end
---@param successes integer
---@param total integer
---@param confidence? number (default 0.95)
---@return {lower: number, upper: number, center: number}
function amath.wilson_ci(successes, total, confidence) end
---@param data number[]
---@return number[]
function amath.softmax(data) end
---@param values number[]
---@return number
function amath.logsumexp(values) end
---@param data number[]
---@return number[]
function amath.log_normalize(data) end
---@param probs number[]
---@return number nats
function amath.entropy(probs) end
---@param p number[]
---@param q number[]
---@return number
function amath.kl_divergence(p, q) end
---@param p number[]
---@param q number[]
---@return number
function amath.js_divergence(p, q) end
---@param p number[]
---@param q number[]
---@return number
function amath.cross_entropy(p, q) end
---@param x number
---@param mu? number
---@param sigma? number
---@return number
function amath.normal_cdf(x, mu, sigma) end
---@param p number
---@return number
function amath.normal_ppf(p) end
---@param p number
---@param mu? number
---@param sigma? number
---@return number
function amath.normal_inverse_cdf(p, mu, sigma) end
---@param x number
---@param a number
---@param b number
---@return number
function amath.beta_cdf(x, a, b) end
---@param p number
---@param a number
---@param b number
---@return number
function amath.beta_ppf(p, a, b) end
---@param a number
---@param b number
---@return number
function amath.beta_mean(a, b) end
---@param a number
---@param b number
---@return number
function amath.beta_variance(a, b) end
---@param x number
---@param shape number
---@param scale number
---@return number
function amath.gamma_cdf(x, shape, scale) end
---@param k integer
---@param lambda number
---@return number
function amath.poisson_cdf(k, lambda) end
---@param x number
---@return number
function amath.erf(x) end
---@param x number
---@return number
function amath.erfc(x) end
---@param x number
---@return number
function amath.lgamma(x) end
---@param x number
---@return number
function amath.digamma(x) end
---@param a number
---@param b number
---@return number
function amath.beta(a, b) end
---@param a number
---@param b number
---@return number
function amath.ln_beta(a, b) end
---@param n integer
---@return number
function amath.factorial(n) end
---@param n integer
---@return number
function amath.ln_factorial(n) end
---@param p number
---@return number
function amath.logit(p) end
---@param x number
---@return number
function amath.expit(x) end
---@param x number
---@param a number
---@param b number
---@return number
function amath.regularized_incomplete_beta(x, a, b) end
---@param a number
---@param x number
---@return number
function amath.regularized_incomplete_gamma(a, x) end
---@param xs number[]
---@param ys number[]
---@return {t_stat: number, df: number, p_value: number}
function amath.welch_t_test(xs, ys) end
---@param xs number[]
---@param ys number[]
---@param opts? {continuity_correction?: boolean}
---@return {u_stat: number, z_score: number, p_value: number}
function amath.mann_whitney_u(xs, ys, opts) end
---@param observed number[]
---@param expected number[]
---@return {chi2_stat: number, df: integer, p_value: number}
function amath.chi_squared_test(observed, expected) end
---@param xs number[]
---@param ys number[]
---@return {d_stat: number, p_value: number}
function amath.ks_test(xs, ys) end
---@param data number[]
---@return number[]
function amath.rank(data) end
---@param xs number[]
---@param ys number[]
---@return number
function amath.spearman_correlation(xs, ys) end
---@param xs number[]
---@param ys number[]
---@return number
function amath.kendall_tau(xs, ys) end
---@param relevance number[]
---@param k? integer
---@return number
function amath.ndcg(relevance, k) end
---@param rankings integer[]
---@return number
function amath.mrr(rankings) end
---@param data number[]
---@param window integer
---@return number[]
function amath.moving_average(data, window) end
---@param data number[]
---@param alpha number
---@return number[]
function amath.ewma(data, alpha) end
---@param data number[]
---@param lag integer
---@return number
function amath.autocorrelation(data, lag) end
---@param n integer
---@return integer[][]
function amath.permutations(n) end

---The alc standard library, available as the global `alc` in every strategy.
---Only alc.llm and alc.llm_batch (and the combinators built on them) pause the session.
---@class alc
---@field NULL table encodes as JSON null (json_decode gives nil for null)
---@field env table<string, string> values injected by the driver (ctx._env) and ALC_ENV_* configuration
---@field state alc.StateApi persistent key-value store (namespace ctx._ns)
---@field stats alc.StatsApi custom statistics of the session
---@field card alc.CardApi immutable run records with samples (docs/cards.md)
---@field math alc.MathApi seeded sampling and statistics
alc = {}

---Ask the driver's LLM. **Pauses** the session until the answer is fed.
---@param prompt string
---@param opts? alc.LlmOpts
---@return string answer
function alc.llm(prompt, opts) end

---Ask several independent queries at once. **Pauses once** for all of them.
---@param items (string|alc.LlmItem)[]
---@return string[] answers in item order
function alc.llm_batch(items) end

---Log to the session log (never stdout).
---@param level "debug"|"info"|"warn"|"error"
---@param ... any message parts
function alc.log(level, ...) end

---Compact JSON, sorted keys; alc.NULL and nil encode as null. Errors on functions and cycles.
---@param value any
---@return string
function alc.json_encode(value) end

---string.format made safe: integer conversions round floats half away from zero and show
---NaN/Inf as text, %s shows nil as "<nil>"; bad formats or arguments are clear errors.
---@param fmt string
---@param ... any
---@return string
function alc.fmt(fmt, ...) end

---alc.log(level, alc.fmt(fmt, ...)).
---@param level "debug"|"info"|"warn"|"error"
---@param fmt string
---@param ... any
function alc.log_fmt(level, fmt, ...) end

---Parse JSON; null becomes nil, arrays stay arrays (also empty ones), integers stay integers.
---@param text string
---@return any
function alc.json_decode(text) end

---Seconds since the epoch (recorded live, replayed on restore).
---@return number
function alc.time() end

---What is left of ctx.budget, or nil without a budget.
---@return alc.BudgetRemaining|nil
function alc.budget_remaining() end

---Report progress to the host (status / MCP progress).
---@param step integer
---@param total integer
---@param msg? string
function alc.progress(step, total, msg) end

---The candidate mentioned last in text (case-insensitive), else a fuzzy token match, else nil.
---@param text string
---@param candidates string[]
---@param opts? alc.MatchEnumOpts
---@return string|nil
function alc.match_enum(text, candidates, opts) end

---The last yes-like (yes, approved, ok, pass, true, ...) or no-like (no, rejected, fail,
---false, ...) whole word decides; nil when there is none.
---@param text string
---@return boolean|nil
function alc.match_bool(text) end

---Windows over lines or characters (Unicode-safe).
---@param text string
---@param opts? alc.ChunkOpts
---@return string[]
function alc.chunk(text, opts) end

---Run strategy packages as child sessions in parallel; their queries surface in this session's
---pauses. **Pauses**.
---@param strategies string[]
---@param ctx alc.Ctx
---@param opts? alc.ForkOpts
---@return alc.ForkResult[] in input order
function alc.fork(strategies, ctx, opts) end

---alc.llm memoised for the session. **Pauses** on a miss.
---@param prompt string
---@param opts? alc.LlmOpts
---@return string
function alc.cache(prompt, opts) end

---@return alc.CacheInfo
function alc.cache_info() end

function alc.cache_clear() end

---@generic T, R
---@param items T[]
---@param fn fun(item: T, index: integer): R
---@return R[]
function alc.map(items, fn) end

---@generic T, A
---@param items T[]
---@param fn fun(acc: A, item: T, index: integer): A
---@param init? A without it the fold starts from items[1]
---@return A
function alc.reduce(items, fn, init) end

---@generic T
---@param items T[]
---@param fn fun(item: T, index: integer): any
---@return T[]
function alc.filter(items, fn) end

---Majority vote over trimmed strings; ties go to the first seen.
---@param answers string[]
---@return alc.VoteResult
function alc.vote(answers) end

---alc.llm with grounded = true. **Pauses**.
---@param claim string
---@param opts? alc.LlmOpts
---@return string
function alc.ground(claim, opts) end

---alc.llm with underspecified = true. **Pauses**.
---@param prompt string
---@param opts? alc.LlmOpts
---@return string
function alc.specify(prompt, opts) end

---The first integer in text clamped to 1..10, or default (5).
---@param text any
---@param default? integer
---@return integer
function alc.parse_score(text, default) end

---The first number in text, or the capture of pattern; nil when there is none.
---@param text any
---@param pattern? string Lua pattern with one capture
---@return number|nil
function alc.parse_number(text, pattern) end

---A JSON object or array found in LLM output (raw, fenced, or embedded), or nil.
---@param raw any
---@return table|nil
function alc.json_extract(raw) end

---alc.llm that returns default (and logs a warning) instead of failing. **Pauses**.
---@param prompt string
---@param opts? alc.LlmOpts
---@param default? string
---@return string|nil
function alc.llm_safe(prompt, opts, default) end

---alc.llm + alc.json_extract, with one corrective retry. **Pauses** (once or twice).
---@param prompt string
---@param opts? alc.LlmOpts
---@return table|nil data
---@return string raw
function alc.llm_json(prompt, opts) end

---Normalised DJB2 hash, 8 hex characters ("hello" -> "0f923099").
---@param text string
---@return string
function alc.fingerprint(text) end

---true while the budget has room (or there is none).
---@return boolean
function alc.budget_check() end

---Deep-merge ctx (or ctx[opts.prefix]) over the keys of defaults.
---@generic T: table
---@param defaults T
---@param ctx? table
---@param opts? alc.TuningOpts
---@return T
function alc.tuning(defaults, ctx, opts) end

---One alc.llm_batch over items: prompt_fn(item, index) returns a prompt string or an item
---table. **Pauses once**.
---@generic T
---@param items T[]
---@param prompt_fn fun(item: T, index: integer): string|alc.LlmItem
---@param opts? alc.ParallelOpts
---@return any[] responses (or post_fn results) in item order
function alc.parallel(items, prompt_fn, opts) end

---Run strategies in sequence, each stage's result becoming the next stage's task.
---@param strategies (string|fun(ctx: alc.Ctx): any)[]
---@param ctx alc.Ctx
---@param opts? alc.PipeOpts
---@return alc.Ctx ctx with result and pipe_history
function alc.pipe(strategies, ctx, opts) end
