"""Sentence templates of agent work, by kind of conversation and by speaker.

``{lowercase}`` slots are filled fresh each time; ``{UPPERCASE}`` slots are the conversation's
focus (its file, function, error, ...), so a thread keeps talking about the same things.
"""

from __future__ import annotations

KINDS = (
    "debugging", "code_review", "planning", "question", "research", "testing",
    "refactoring", "deployment",
)

TITLES = {
    "debugging": (
        "{EXCEPTION} in {COMPONENT}", "Fix {ADJ} failures in {FUNC}", "Debug {COMPONENT} errors",
        "Why does {FUNC} crash?", "{COMPONENT} returns 500s", "Investigate {ERROR_SHORT}",
    ),
    "code_review": (
        "Review {BRANCH}", "Code review: {COMPONENT} changes", "PR feedback on {FILE}",
        "Review the {CLASS} rewrite", "Second look at {BRANCH}",
    ),
    "planning": (
        "Plan the {COMPONENT} migration", "Design {CONCEPT} for {COMPONENT}",
        "Roadmap for {PROJECT}", "Sprint plan: {COMPONENT}", "Architecture of the new {COMPONENT}",
    ),
    "question": (
        "How does {FUNC} work?", "Question about {LIB}", "Where is {CLASS} configured?",
        "{LIB} and {CONCEPT}", "What does {FILE} do?",
    ),
    "research": (
        "Compare options for {CONCEPT}", "Research: {LIB} vs {LIB2}", "Evaluate {LIB} for {COMPONENT}",
        "Survey of {CONCEPT}", "Benchmarks for {COMPONENT}",
    ),
    "testing": (
        "Tests for {FUNC}", "Flaky {TEST}", "Raise coverage in {FILE}",
        "Integration tests for {COMPONENT}", "Property tests for {CLASS}",
    ),
    "refactoring": (
        "Refactor {CLASS}", "Split up {FILE}", "Clean up {FUNC}", "Extract {CLASS} from {COMPONENT}",
        "Remove dead code in {COMPONENT}",
    ),
    "deployment": (
        "Deploy {COMPONENT} {VERSION}", "Rollback plan for {COMPONENT}", "CI failing on {BRANCH}",
        "Release checklist {VERSION}", "Canary for {COMPONENT}",
    ),
}

OPENERS = {
    "debugging": (
        "I'm seeing {EXCEPTION}: {ERROR} in {FILE} when {FUNC} runs against production data.",
        "The {COMPONENT} started throwing {EXCEPTION} after yesterday's deploy.",
        "Can you help me figure out why {FUNC} fails with {ERROR}?",
        "Our {ADJ} test {TEST} keeps failing on CI but passes locally.",
        "Users report that the {COMPONENT} hangs for about {n} seconds before it errors out.",
        "Something in {FILE} is leaking memory: the worker grows to {n} GB and gets killed.",
        "I get {EXCEPTION} whenever two requests hit {FUNC} at the same time.",
        "The {METRIC} of the {COMPONENT} doubled since we upgraded {LIB} to {version}.",
        "Sentry shows {count} events of {EXCEPTION} in {COMPONENT} over the last hour.",
    ),
    "code_review": (
        "Please review my pull request on {BRANCH}; it touches {FILE} and {file}.",
        "Could you take a look at the changes to {CLASS} before I merge?",
        "I rewrote {FUNC} to use {CONCEPT}, can you check whether the approach is sound?",
        "{person} asked for a second reviewer on {BRANCH}, could you go through it?",
        "Here is the diff for the {COMPONENT}; I'm mostly worried about error handling.",
        "Review {FILE} please, especially the new {func} helper and its tests.",
        "Is this change to {FILE} safe to ship {when}?",
    ),
    "planning": (
        "We need to move the {COMPONENT} to {LIB} {when}; help me plan the steps.",
        "How should we structure {CONCEPT} for the {COMPONENT}?",
        "Let's plan the work to split {COMPONENT} out of the monolith.",
        "I want a design for {CONCEPT} that keeps the {METRIC} under {ms} ms.",
        "Draft a plan for the {PROJECT} roadmap for the next two sprints.",
        "What would a migration from {LIB2} to {LIB} look like for the {COMPONENT}?",
        "We have {n} engineers for a month; what should the {COMPONENT} rewrite cover first?",
    ),
    "question": (
        "How does {FUNC} decide when to refresh the cache?",
        "Where do we configure {env} for the {COMPONENT}?",
        "What is the difference between {func} and {FUNC}?",
        "Why do we use {LIB} instead of {lib} in {FILE}?",
        "Is {CONCEPT} already handled somewhere in the {COMPONENT}?",
        "Can you explain what {CLASS} does and who calls it?",
        "Quick question: does {FUNC} retry on {EXCEPTION}?",
        "Which table stores the {column} for {TABLE}?",
    ),
    "research": (
        "Compare {LIB} and {LIB2} for {CONCEPT} in our stack.",
        "Find out how other teams handle {CONCEPT} at our scale.",
        "Research whether {LIB} can replace our custom {COMPONENT}.",
        "What are the trade-offs of {CONCEPT} versus {concept} for the {COMPONENT}?",
        "Summarize the current best practices for {CONCEPT} with {LIB}.",
        "Look into why the {METRIC} of {LIB} degrades past {count} rows.",
    ),
    "testing": (
        "Write tests for {FUNC} in {FILE}, including the error paths.",
        "The {TEST} test is {ADJ}; can you make it deterministic?",
        "Coverage for {FILE} is at {pct}%, help me get it above 90%.",
        "Add integration tests for the {COMPONENT} against a real {LIB} instance.",
        "We need property-based tests for {CLASS} with hypothesis.",
        "Set up a regression test for the {EXCEPTION} we fixed in {FUNC}.",
    ),
    "refactoring": (
        "Refactor {CLASS} so that it no longer depends on global state.",
        "{FILE} is over {count} lines; help me split it into smaller modules.",
        "Let's replace the hand-written retry loop in {FUNC} with {CONCEPT}.",
        "Clean up the duplicated {noun} handling across the {COMPONENT}.",
        "Extract the {noun} logic from {FUNC} into its own class.",
        "Rename {func} to something clearer and update every caller.",
    ),
    "deployment": (
        "Deploy the {COMPONENT} version {VERSION} to staging and watch the {METRIC}.",
        "CI is failing on {BRANCH} at the {LIB} step; can you take a look?",
        "Prepare a rollback plan for the {COMPONENT} release {when}.",
        "The canary for {COMPONENT} shows a higher {METRIC}, should we stop it?",
        "Bump {LIB} to {version} in the Docker image and redeploy.",
        "Set {env} for the {COMPONENT} in production and restart the workers.",
    ),
}

FOLLOWUPS = {
    "debugging": (
        "That didn't fix it; now I get {EXCEPTION} at line {n} of {FILE}.",
        "I added logging and the {column} is empty for some rows.",
        "Could it be related to the {LIB} upgrade?",
        "It only happens when the {COMPONENT} is under load.",
        "The stack trace points at {func} in {file}.",
        "Rolling back the deploy made it go away, so it must be the new code.",
    ),
    "code_review": (
        "Good point, I pushed a fix for the error handling.",
        "Should I split the change into two pull requests?",
        "I'm not sure about renaming {func}; other teams call it.",
        "Added tests for the edge cases you mentioned.",
        "Do you think the lock in {FUNC} is still needed?",
    ),
    "planning": (
        "What are the biggest risks in that plan?",
        "Can we do step two before the {COMPONENT} migration?",
        "{person} thinks this is too much for one sprint.",
        "How would we measure that it worked?",
        "Let's cut scope: what is the smallest useful first step?",
    ),
    "question": (
        "Thanks, and where is that documented?",
        "Does the same apply to the {component}?",
        "What happens if {env} is not set?",
        "Makes sense. Is there a test that shows it?",
        "And how does that interact with {CONCEPT}?",
    ),
    "research": (
        "Which option would you pick for us and why?",
        "How mature is {LIB2} in production?",
        "Can you estimate the cost difference per month?",
        "What did you find about performance at {count} requests per second?",
        "Are there licensing concerns with {LIB}?",
    ),
    "testing": (
        "The new test fails on CI with {EXCEPTION}.",
        "Can we avoid mocking {LIB} here?",
        "Make the fixture faster, the suite takes {n} minutes now.",
        "Should this be a unit test or an integration test?",
        "Good, now add the case where {column} is null.",
    ),
    "refactoring": (
        "Will this change the public API of {CLASS}?",
        "Let's keep the old name as a deprecated alias for one release.",
        "Tests pass locally after the split.",
        "Can you also move {func} while we're at it?",
        "Is the new structure easier to test?",
    ),
    "deployment": (
        "Staging looks healthy, promote it to production?",
        "The {METRIC} spiked for a few minutes after the rollout.",
        "CI is green now, thanks.",
        "Do we need a database migration before this deploy?",
        "Roll it back, {person} sees errors in the {component}.",
    ),
}

REPLIES = {
    "debugging": (
        "The {EXCEPTION} comes from {FUNC} reading {column} before the row is committed.",
        "Looking at {FILE}, the handler assumes the {noun} is always present, which is not true for older records.",
        "The root cause is a race between {FUNC} and {func}: both update {TABLE} without a lock.",
        "I reproduced it locally with {count} concurrent requests; it fails about {pct}% of the time.",
        "The fix is to guard the lookup and return a clear error instead of letting {EXCEPTION} escape.",
        "After the change the error rate of the {COMPONENT} dropped from {pct}% to zero in my test run.",
        "The stack trace shows the failure in {file}, called from {FUNC} through {func}.",
        "I added a regression test, {TEST}, that fails before the fix and passes after it.",
        "The {LIB} upgrade changed the default timeout to {n} seconds, which explains the hangs.",
        "Memory grows because {FUNC} keeps every {noun} in a list that is never cleared.",
        "Wrapping the write in a transaction with BEGIN IMMEDIATE stops the database is locked errors.",
        "The logs show {count} retries per minute, so the backoff is not being applied.",
    ),
    "code_review": (
        "Overall the change looks good, but {FUNC} swallows exceptions and returns None.",
        "In {FILE}, the new query builds SQL with string formatting; please use parameters instead.",
        "The tests cover the happy path; I'd add one for an empty {noun} list.",
        "Consider moving the {noun} validation into {CLASS} so callers can't skip it.",
        "This loop runs one query per {noun}; a single batch query would be much faster.",
        "The naming is clear and the docstrings explain why, which helps a lot.",
        "There is a subtle bug: {func} mutates its argument, and {FUNC} reuses it afterwards.",
        "I'd keep the public signature of {CLASS} unchanged and add a new keyword argument instead.",
        "The migration is not reversible; please add a down step or document why not.",
        "Nit: the log line in {file} includes the full request body, which may contain secrets.",
        "Approved once the error handling comment is addressed.",
    ),
    "planning": (
        "I'd split the work into three phases: read path first, then writes, then cleanup.",
        "Phase one moves reads of {TABLE} behind {CLASS} without changing behaviour.",
        "The main risk is data drift between the old and new {COMPONENT} during the migration.",
        "We can measure success by the {METRIC} and the number of support tickets.",
        "Using {CONCEPT} keeps the rollout reversible at every step.",
        "I estimate about {n} engineer-days, most of it in testing and the backfill.",
        "A feature flag around {FUNC} lets us turn the new path on for one tenant first.",
        "{person} should own the rollout, since they wrote most of the {COMPONENT}.",
        "The smallest useful step is to add metrics, so we know the baseline before changing anything.",
        "We should write the decision down in an architecture note and link it from {file}.",
        "Dependencies: the {component} team has to ship their change first.",
    ),
    "question": (
        "{FUNC} checks the timestamp of the cached {noun} and refreshes it after {n} minutes.",
        "The setting lives in {file} and is read once at start-up by {CLASS}.",
        "{func} is the low-level call; {FUNC} wraps it with validation and logging.",
        "We chose {LIB} because it handles {CONCEPT} for us and the team knows it well.",
        "Yes, {FUNC} retries up to {n} times with exponential backoff on {EXCEPTION}.",
        "The {column} column of {TABLE} holds it, with an index on ({column}, created_at).",
        "It is documented in the README under the configuration section, next to {env}.",
        "If {env} is not set, the {COMPONENT} falls back to the default from {file}.",
        "There is a test for exactly that in {file}, called {test}.",
    ),
    "research": (
        "{LIB} has the larger community and better documentation; {LIB2} is faster in benchmarks.",
        "At our scale of about {count} requests per second both options are comfortably fast enough.",
        "Teams I found usually pair {CONCEPT} with {concept} to keep failures contained.",
        "The main trade-off is operational: {LIB2} needs another service to run and monitor.",
        "Published benchmarks show a {pct}% lower {METRIC} for {LIB}, but on different hardware.",
        "I'd run a one-week spike with real traffic before committing to either option.",
        "The licence of {LIB} is permissive, so there is no concern for commercial use.",
        "Cost-wise the difference is small, roughly {n} hundred dollars a month at current volume.",
        "My recommendation is {LIB}, mainly because it fits what the {COMPONENT} already does.",
    ),
    "testing": (
        "I added {n} tests for {FUNC}, covering empty input, bad types and the timeout path.",
        "The flakiness comes from the test depending on wall-clock time; a fake clock fixes it.",
        "Using a temporary database per test keeps the cases independent.",
        "Coverage of {FILE} is now {pct}%, and the remaining lines are logging branches.",
        "The integration test starts a real {LIB} container and runs in about {n} seconds.",
        "Hypothesis found a failing case with an empty string for {column}.",
        "I replaced the mock of {LIB} with a small in-memory fake, which makes the test clearer.",
        "The slow part of the suite is the {CLASS} fixture; scoping it per module saves a minute.",
        "All {count} tests pass locally and on CI.",
    ),
    "refactoring": (
        "I moved the {noun} parsing out of {FUNC} into a new {cls} with one job.",
        "{FILE} is now split into three modules, each under two hundred lines.",
        "The public API of {CLASS} is unchanged; only private helpers moved.",
        "Replacing the retry loop with {CONCEPT} removed about {n} lines of code.",
        "I kept {func} as a deprecated alias that warns once and forwards to the new name.",
        "The new structure lets us test {FUNC} without a database.",
        "Callers in {file} and {file} are updated; there were no other references.",
        "Type hints now cover the whole module, and mypy reports no errors.",
    ),
    "deployment": (
        "Version {VERSION} is on staging; health checks pass and the {METRIC} is flat.",
        "The CI failure is a pinned {LIB} version that no longer installs; bumping it fixes the build.",
        "Rollback is one command: redeploy {version} and the migration is backwards compatible.",
        "The canary shows {pct}% more errors than the baseline, so I paused the rollout.",
        "I set {env} in the production config and restarted the workers one by one.",
        "The Docker image is now {n} MB smaller after moving to a slim base.",
        "Production is on {VERSION}, and the error rate is back to normal.",
        "The migration ran in {n} seconds and locked {TABLE} only briefly.",
    ),
}

GENERIC_REPLIES = (
    "Let me check {file} first.",
    "Here is what I found.",
    "I ran the test suite and {count} tests passed.",
    "This also touches the {component}, so I checked its callers too.",
    "One more thing: the {METRIC} should be watched after this change.",
    "I'll keep the change small so it is easy to review.",
    "The same pattern appears in {file}, which we may want to fix later.",
    "Let me know if you want me to open a pull request for this.",
    "I searched memory for similar issues and found a related note from {person}.",
    "Based on earlier sessions, you prefer small commits with clear messages, so I split the work.",
    "I looked at the last {n} runs to confirm the pattern.",
    "Next, I'll update the documentation in {file}.",
    "That should be everything for now.",
    "Does that answer your question?",
)

ACKS = (
    "Thanks, that makes sense.", "Great, go ahead.", "Perfect.", "OK, let's do that.",
    "Looks good to me.", "Makes sense, thanks.", "Nice, that worked.",
)

TOOL_OUTPUTS = (
    "Ran pytest on {FILE}: {count} passed, {n} failed in {secs} seconds. FAILED {TEST} with {EXCEPTION}: {ERROR}.",
    "Search for {FUNC} found {n} matches in {file}, {file} and {file}.",
    "Command exited with status 1: {EXCEPTION}: {ERROR}.",
    "Read {FILE}: {count} lines, last modified by {person} {n} days ago.",
    "Query on {TABLE} returned {count} rows in {ms} ms.",
    "Build succeeded in {secs} seconds with {n} warnings from {lib}.",
    "Applied patch to {FILE}: {n} lines added and {n} lines removed.",
    "Lint found {n} issues in {file}, all of them unused imports.",
    "Memory search for {CONCEPT} returned {n} results from earlier sessions.",
    "Deployment of {COMPONENT} {VERSION} finished; {n} of {n} pods are healthy.",
)

REASONS = (
    "The request mentions {topic}, which matches {agent} skills.",
    "Keywords point to {topic}; {agent} has the best success rate on similar requests.",
    "Similar past requests about {topic} were handled well by {agent}.",
    "{agent} is the closest match for {topic}; the runner-up was {runner_up}.",
)

HANDOFF_SUMMARIES = (
    "Worked on {COMPONENT}: {FUNC} is fixed, tests pass, and the pull request is open.",
    "Half-way through the {COMPONENT} refactor; {FILE} still needs to be split.",
    "Investigated {EXCEPTION} in {FUNC}; the root cause is known and a fix is drafted.",
    "Planned the {COMPONENT} migration; phase one is ready to start.",
    "Reviewed {BRANCH}; two comments are open and waiting for the author.",
)

USER_CONTEXT = (
    "This is for the {PROJECT} project.",
    "I already tried restarting the {component}, with no change.",
    "The relevant code is in {FILE}.",
    "It worked last week with {LIB} {version}.",
    "{person} mentioned something similar last week.",
    "We need this {when}, so a small fix is better than a perfect one.",
    "The {METRIC} dashboard shows the problem started around {n} o'clock.",
    "Please keep the change backwards compatible.",
    "I'd like tests for whatever we change.",
    "Context from the last session: we were looking at {FUNC} and {func}.",
    "There are about {count} rows in {TABLE} in production.",
    "We run {LIB} {version} on Python 3.11.",
)
