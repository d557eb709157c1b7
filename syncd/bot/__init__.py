"""The client's conversation with the bot: Telegram's updates taken in (handlers), linking a client
to their Okdesk contact (their phone, a company's INN, their name), a message taken in and its
questions (intake), the menu, the cards, the profile and the portal link. It stands above the
carrying out (syncd.relay) and the Telethon wrappers (syncd.telegram).
"""
