"""Build-time settings. This copy (the source tree's, and what pip installs) knows no library directory;
`meson install` installs a generated copy naming the directory libmodellix was installed into."""

from __future__ import annotations

from typing import Optional

#: The directory `meson install` put libmodellix.so.1 in, or None.
LIBDIR: Optional[str] = None
