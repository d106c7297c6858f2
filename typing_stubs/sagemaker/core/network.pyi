class NetworkConfig:
    def __init__(
        self,
        enable_network_isolation: bool | None = ...,
        security_group_ids: list[str] | None = ...,
        subnets: list[str] | None = ...,
        encrypt_inter_container_traffic: bool | None = ...,
    ) -> None: ...
