"""A local emulator of the Okdesk REST API for syncd's tests.

    from tests.okdesk_emulator import OkdeskEmulator, Fault, Upload

See docs/dev/test-harness-api.md for the control API and okdesk-api.md for the
behaviour it reproduces.
"""

from __future__ import annotations

from .context import RequestRecord
from .emulator import OkdeskEmulator, Upload
from .faults import FAULT_KINDS, Fault
from .options import Options

__all__ = ["FAULT_KINDS", "Fault", "OkdeskEmulator", "Options", "RequestRecord", "Upload"]
