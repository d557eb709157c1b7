"""A TLS terminator: HTTPS in front of a plain-HTTP stand-in (the Okdesk emulator), with a
self-signed certificate for localhost and 127.0.0.1 made on the spot; `ca_path` is the file a
client verifies it with. Relays the decrypted bytes to `target` unchanged."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .base import ProxyServer, Relayed


class TlsTerminator(ProxyServer):
    kind = "tls"

    def __init__(self, target: tuple[str, int], cert_dir: Path) -> None:
        super().__init__()
        self.target = target
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                            x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        cert_dir.mkdir(parents=True, exist_ok=True)
        self.ca_path = cert_dir / "tls-cert.pem"
        key_path = cert_dir / "tls-key.pem"
        self.ca_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        self._ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ssl.load_cert_chain(self.ca_path, key_path)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: Relayed) -> None:
        up_reader, up_writer = await self._open_upstream(*self.target, record)
        await self._relay(reader, writer, up_reader, up_writer, record)
