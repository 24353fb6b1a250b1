"""Pictures: decoding within limits (`decoding`), reference uploads made safe to send
(`reference`), thumbnails and display copies (`copies`), file names and shapes (`names`), the
settings a downloaded picture carries (`recipe`).

The names other modules import are re-exported here.
"""

from kontextlab.images.copies import (
    DISPLAY_LONGEST,
    THUMBNAIL_SIZE,
    display_copy,
    flatten,
    thumbnail,
)
from kontextlab.images.decoding import ACCEPTED_FORMATS, MAX_PIXELS, BadImage, open_image
from kontextlab.images.names import EXTENSIONS, closest_aspect_ratio, download_name
from kontextlab.images.recipe import read_recipe, with_recipe
from kontextlab.images.reference import (
    MAX_UPLOAD_BYTES,
    PREPARED,
    UPLOAD_PIXELS,
    PreparedImage,
    prepare_reference,
)

__all__ = [
    "ACCEPTED_FORMATS",
    "DISPLAY_LONGEST",
    "EXTENSIONS",
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "PREPARED",
    "THUMBNAIL_SIZE",
    "UPLOAD_PIXELS",
    "BadImage",
    "PreparedImage",
    "closest_aspect_ratio",
    "display_copy",
    "download_name",
    "flatten",
    "open_image",
    "prepare_reference",
    "read_recipe",
    "thumbnail",
    "with_recipe",
]
