"""The Telethon side: login, update handlers, the outbox sender, texts and keyboards."""
