"""Code verification: run model-written code against tests in a sandbox it cannot escape or fool."""

from rlvr.verifiers.code.sandbox import (
    BwrapSandbox,
    Channel,
    Sandbox,
    SandboxUnavailable,
    UnsafeLocalSandbox,
)
from rlvr.verifiers.code.verifier import CodeTests, CodeVerifier, extract_code

__all__ = [
    "BwrapSandbox",
    "Channel",
    "CodeTests",
    "CodeVerifier",
    "Sandbox",
    "SandboxUnavailable",
    "UnsafeLocalSandbox",
    "extract_code",
]
