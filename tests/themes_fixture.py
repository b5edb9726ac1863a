"""A labelled brainstorm for the theme suggester: 90 planning notes in 7 known themes.

Written for planboard's tests, in the voice of a product team's quarterly planning board. Each
entry is (note id, text, theme). It holds exact duplicates (`EXACT_DUPLICATES`, equal after case
and punctuation) and near duplicates (`NEAR_DUPLICATES`, one or two words apart).
"""

from __future__ import annotations

from crdt.themes import NoteInput

_THEMES: dict[str, list[str]] = {
    "onboarding": [
        "Launch self-serve onboarding flow",
        "Launch self-serve onboarding",
        "Onboarding checklist for new workspaces",
        "Shorten the signup form to email and password",
        "Welcome email series for the first week after signup",
        "Interactive product tour on first login",
        "New users drop off at the workspace setup step of onboarding",
        "Sample project so new users do not start from an empty screen",
        "Invite teammates step during onboarding",
        "Onboarding progress bar in the sidebar",
        "Measure activation rate of new signups",
        "Skip onboarding for invited users who join an existing workspace",
        "launch self-serve onboarding flow!",
    ],
    "performance": [
        "Dashboard takes 8 seconds to load for large accounts",
        "Cache the dashboard queries",
        "Slow search on projects with many tasks",
        "Reduce page load time below 2 seconds",
        "Database queries time out during peak load",
        "Add an index on the tasks table to speed up queries",
        "Lazy load images on the board page to cut load time",
        "Profile the API endpoints that are slowest",
        "Performance budget for the frontend bundle size",
        "The reports page is slow and sometimes times out",
        "Move slow report queries to a background job",
        "Set up load testing before the launch",
    ],
    "pricing": [
        "Annual billing plan with a discount",
        "Pricing page is confusing, three plans look the same",
        "Let customers pay by invoice instead of credit card",
        "Free trial should not ask for a credit card",
        "Usage-based pricing for API calls",
        "Show VAT on invoices for EU customers",
        "Downgrade plan without contacting support",
        "Prorate billing when a team adds seats mid-month",
        "Student and nonprofit discount on the pricing plans",
        "Billing emails go to the wrong person",
        "Add a pricing calculator for seats",
        "Pricing page is confusing: three plans look the same",
    ],
    "mobile": [
        "Offline mode for the mobile app",
        "Push notifications on mobile when a task is assigned",
        "Mobile app crashes when uploading photos",
        "Dark mode in the iOS and Android apps",
        "Tablet layout for the mobile app",
        "Mobile app login with Face ID",
        "Android app is slow to start on older phones",
        "Share to the app from the phone's share sheet",
        "Mobile widgets for today's tasks",
        "Sync conflicts when editing offline on mobile",
        "Push notification settings per project in the app",
        "Release the mobile app in the Play Store for more countries",
    ],
    "quality": [
        "Flaky end-to-end tests block the release pipeline",
        "Raise unit test coverage of the billing service",
        "Run the test suite on every pull request in CI",
        "Too many bugs reach production after each release",
        "Automated regression tests for the editor",
        "CI pipeline takes 40 minutes, tests should run in parallel",
        "Bug triage every Monday with QA",
        "Staging environment that matches production for release testing",
        "Write tests before fixing each bug",
        "Quarantine flaky tests instead of retrying the pipeline",
        "Track escaped bugs per release",
        "Release checklist with QA sign-off",
    ],
    "docs": [
        "API documentation is out of date",
        "Write a getting started guide for the API",
        "Document the webhook payloads with examples",
        "Search in the help center documentation does not find anything",
        "Video tutorials in the help center",
        "Changelog page for every release note",
        "Code samples in Python and JavaScript in the API docs",
        "Translate the help center articles to German and Spanish",
        "Docs for admins on SSO setup",
        "Keep API documentation generated from the OpenAPI spec",
        "Link help center articles from the error messages",
        "FAQ in the documentation for billing questions",
    ],
    "team": [
        "Too many meetings, no time for focused work",
        "Async standup in the team chat instead of a daily meeting",
        "Clear owner for every team decision",
        "Retrospective every two weeks for the whole team",
        "New engineers need a buddy in their first month on the team",
        "Meeting-free Wednesdays for the team",
        "Write down decisions from meetings so the team can find them",
        "Team offsite once a quarter",
        "Rotate the on-call duty fairly across the team",
        "Shorter planning meetings with a written agenda",
        "Handover notes when someone leaves the team",
        "Celebrate team wins in the all-hands meeting",
    ],
}

# Ids are n01, n02, ... in the order above.
NOTES: list[tuple[str, str, str]] = []
for _theme, _texts in _THEMES.items():
    for _text in _texts:
        NOTES.append((f"n{len(NOTES) + 1:02d}", _text, _theme))

_BY_TEXT = {text: note_id for note_id, text, _ in NOTES}
EXACT_DUPLICATES: list[set[str]] = [
    {_BY_TEXT["Launch self-serve onboarding flow"], _BY_TEXT["launch self-serve onboarding flow!"]},
    {
        _BY_TEXT["Pricing page is confusing, three plans look the same"],
        _BY_TEXT["Pricing page is confusing: three plans look the same"],
    },
]
NEAR_DUPLICATES: list[set[str]] = [
    {_BY_TEXT["Launch self-serve onboarding flow"], _BY_TEXT["Launch self-serve onboarding"]},
]


def note_inputs() -> list[NoteInput]:
    return [
        NoteInput(id=note_id, text=text, author=f"p{i % 10}", x=i * 10.0, y=0.0)
        for i, (note_id, text, _) in enumerate(NOTES)
    ]


def labels() -> dict[str, str]:
    return {note_id: theme for note_id, _, theme in NOTES}
