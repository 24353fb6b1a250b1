"""useapi.net's LTX Studio API: the first provider (client, request models, the provider)."""

from kontextlab.providers.ltx.client import Asset, AssetItem, AssetPage, Client, Job, JobStatus
from kontextlab.providers.ltx.provider import CAPABILITIES, LtxProvider, LtxRules, job_update

__all__ = [
    "CAPABILITIES",
    "Asset",
    "AssetItem",
    "AssetPage",
    "Client",
    "Job",
    "JobStatus",
    "LtxProvider",
    "LtxRules",
    "job_update",
]
