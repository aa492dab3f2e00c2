"""The Discord adapter: app commands that build the shared grammar's text, ballots in components,
permission checks, and outbox delivery (DMs and body channels). See docs/discord.md."""
