"""The Slack adapter: a slack-bolt AsyncApp serving the shared command grammar, interactive ballots,
the App Home tab and outbox delivery. Only this package imports slack_bolt / slack_sdk."""
