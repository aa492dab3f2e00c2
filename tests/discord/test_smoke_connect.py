from tests.discord.conftest import Running


async def test_connects(bot: Running) -> None:
    assert bot.fake.identified
    assert bot.fake.commands
