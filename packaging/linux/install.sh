#!/bin/sh
# Register Studio with the desktop for this user: menu entry, icon, and .studio projects opening in Studio.
#   ./install.sh            register this folder's Studio (run it again after moving the folder)
#   ./install.sh --remove   undo it (the folder itself is left alone; delete it to uninstall)
# Nothing here needs root. Your settings, signing identity and plugins live in ~/.config/studio and
# ~/.local/share/studio, outside this folder, so unpacking a newer version and running its install.sh keeps them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps="$data/applications"; mime="$data/mime"; icons="$data/icons/hicolor/256x256/apps"
if [ "${1:-}" = "--remove" ]; then
    rm -f "$apps/org.studio.Studio.desktop" "$mime/packages/org.studio.Studio.xml" "$icons/org.studio.Studio.png"
    echo "Studio's desktop entry, icon and file type are removed."
else
    mkdir -p "$apps" "$mime/packages" "$icons"
    case "$here" in
        *[\"\`\$\\]*) echo "Move Studio to a folder whose path has no \", \`, \$ or \\ first." >&2; exit 1 ;;
    esac
    # the Exec line quotes the path (it may hold spaces); & and | are escaped for sed
    exe=$(printf '"%s"' "$here/studio" | sed 's/[&|]/\\&/g')
    sed "s|@EXEC@|$exe|g" "$here/share/applications/org.studio.Studio.desktop" > "$apps/org.studio.Studio.desktop"
    cp "$here/share/mime/packages/org.studio.Studio.xml" "$mime/packages/"
    cp "$here/share/icons/hicolor/256x256/apps/org.studio.Studio.png" "$icons/"
    echo "Studio is in your applications menu; .studio projects open in it ($here/studio)."
fi
command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$mime" >/dev/null 2>&1 || true
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" >/dev/null 2>&1 || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data/icons/hicolor" 2>/dev/null || true
exit 0
