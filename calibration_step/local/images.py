"""What the images the project names carry: their Python packages (by import name) and environment.

A step runs here with this machine's packages, not its image's; the manifest lets the executor
fail a step whose code imports a package its image lacks (and its requirements do not install),
as the step would fail on SageMaker. An image without a manifest is not checked.

``sagemaker-scikit-learn:1.4-2`` (Python 3.10) is built by
https://github.com/aws/sagemaker-scikit-learn-container (``docker/1.4-2/base/Dockerfile.cpu``:
numpy 2.1.0, scikit-learn 1.4.2, pyarrow 17.0.0; ``docker/1.4-2/final/Dockerfile.cpu``: scipy and
pandas too, plus the container's serving and training toolkits). It has no matplotlib, xgboost or
lightgbm. The image tags ``1.4-2-cpu-py3`` and the like share the manifest of ``1.4-2``.

Examples
--------
>>> image = image_manifest("141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3")
>>> image.name, "sklearn" in image.modules, "matplotlib" in image.modules, "xgboost" in image.modules
('sagemaker-scikit-learn:1.4-2', True, False, False)
>>> image_manifest("123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-own:1") is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import attrs

__all__ = ["IMAGES", "ImageManifest", "image_manifest"]


@attrs.frozen(kw_only=True)
class ImageManifest:
    """An image: ``repository:tag``, its Python version, the top-level modules it can import, its env."""

    name: str
    python: str
    modules: frozenset[str]
    environment: Mapping[str, str] = attrs.field(factory=dict)
    source: str = ""


IMAGES: Final = (
    ImageManifest(
        name="sagemaker-scikit-learn:1.4-2",
        python="3.10",
        modules=frozenset({
            "numpy", "scipy", "pandas", "sklearn", "joblib", "threadpoolctl", "pyarrow",
            "dateutil", "pytz", "tzdata", "six",
            "boto3", "botocore", "s3transfer", "jmespath", "urllib3",
            "flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "gunicorn",
            "psutil", "google", "retrying", "mlio",
            "sagemaker_containers", "sagemaker_training", "sagemaker_inference", "sagemaker_sklearn_container",
            "pip", "setuptools", "pkg_resources", "wheel",
        }),
        environment={"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "UTF-8",
                     "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"},
        source="https://github.com/aws/sagemaker-scikit-learn-container/tree/master/docker/1.4-2",
    ),
)
"""The images with a manifest."""


def image_manifest(image_uri: str) -> ImageManifest | None:
    """The manifest of ``image_uri`` (``<registry>/<repository>:<tag>``), matched by repository and tag.

    A tag matches a manifest's tag when it is that tag or starts with it and a ``-``.
    """
    repository, _, tag = image_uri.rsplit("/", 1)[-1].partition(":")
    for image in IMAGES:
        name, _, known = image.name.partition(":")
        if repository == name and (tag == known or tag.startswith(f"{known}-")):
            return image
    return None
