"""The client's conversation with the bot: Telegram's updates taken in (handlers), and linking a
client to their Okdesk contact (their phone, a company's INN, their name). It stands above the
inbound side (what a client's message becomes in Okdesk) and the Telethon wrappers in syncd.telegram.
"""
