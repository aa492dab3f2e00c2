"""The bot layer: people and time. Platform adapters, the console, the scheduler and the CLI."""
