"""shardfit: where can this model run, and how? (type stubs for editors)

Results are plain dicts in the shapes of the tool's JSON documents (README, "JSON schemas").
"""
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence, Union

__version__: str

class Error(RuntimeError):
    """A shardfit error; str() is the message the tool prints (file and problem)."""
    code: str
    path: str

class InvalidArgument(Error): ...
class Overflow(Error): ...
class IoError(Error): ...
class NotFound(Error): ...
class InvalidFormat(Error): ...
class Unsupported(Error): ...
class Incomplete(Error): ...
class UnsafePath(Error): ...
class LimitExceeded(Error): ...
class ContractViolation(Error): ...
class AlreadyExists(Error): ...
class Truncated(Error): ...
class Interrupted(Error): ...

class Model:
    """A model's profile."""
    @property
    def name(self) -> str: ...
    @property
    def architecture(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def layers(self) -> int: ...
    @property
    def weights_bytes(self) -> int: ...
    @property
    def file_bytes(self) -> int: ...
    @property
    def layer_bytes(self) -> list[int]: ...
    def to_dict(self) -> dict[str, Any]: ...

class Inventory(Protocol):
    """The inventory policy in Python: snapshot() returns a cluster dict."""
    def snapshot(self) -> Mapping[str, Any]: ...

ClusterLike = Union[Mapping[str, Any], str, Inventory]
Scorer = Callable[[dict[str, Any], dict[str, Any]], float]

def inspect(path: str, recursive: bool = False) -> dict[str, Any]:
    """The shard sets at path: status, true sizes, problems."""

def load_model(path: str, set: Optional[str] = None) -> Model:
    """Loads a GGUF file or set, a safetensors set or a Hugging Face directory."""

def estimate(model: Model, backend: str = "llama.cpp", *, gpus: Sequence[Union[int, str]] = ...,
             ctx: int = ..., gpu_layers: int = ..., flash_attn: str = ...,
             cache_type_k: str = ..., cache_type_v: str = ..., tensor_split: Sequence[float] = ...,
             tp: int = ..., pp: int = ..., max_model_len: int = ...,
             gpu_memory_utilization: float = ..., **settings: Any) -> dict[str, Any]:
    """Memory per device (llama.cpp) or per pipeline stage (vLLM)."""

def check_parallel(model: Model, tp: int, pp: int = 1, ep: int = 1,
                   engine: str = "vllm") -> dict[str, Any]:
    """Verdict, reasons, valid tensor parallel sizes and suggestions."""

def plan(model: Model, cluster: ClusterLike, scorer: Optional[Scorer] = None,
         scorer_weight: int = 10, *, backend: str = ..., ctx: int = ..., tp: int = ...,
         pp: int = ..., gpus: Sequence[str] = ..., gpu_layers: int = ..., policy: str = ...,
         **request: Any) -> dict[str, Any]:
    """The plan/1 document: status, placement, alternatives, rejected, messages."""

def launch_commands(plan: Mapping[str, Any], model: Model, cluster: ClusterLike,
                    model_path: str, **request: Any) -> list[dict[str, Any]]:
    """The commands that start the plan, in order."""

def reshard(source: str, out_dir: str, max_shard_size: str,
            progress: Optional[Callable[[dict[str, Any]], None]] = None, force: bool = False,
            dry_run: bool = False, sync: bool = True) -> dict[str, Any]:
    """Cuts a checkpoint into layer-aligned shards."""
