from typing import Any

class Shape:
    name: str
    type_name: str

class StructureShape(Shape):
    @property
    def members(self) -> dict[str, Shape]: ...

class ListShape(Shape):
    @property
    def member(self) -> Shape: ...

class MapShape(Shape):
    @property
    def value(self) -> Shape: ...

class OperationModel:
    @property
    def input_shape(self) -> StructureShape | None: ...

class ServiceModel:
    def __init__(self, service_description: dict[str, Any], service_name: str | None = ...) -> None: ...
    def operation_model(self, operation_name: str) -> OperationModel: ...
