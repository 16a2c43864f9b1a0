"""Processes of the throw-away servers, read from /proc (shared by the
fixtures that have to wait for a server's processes to be gone)."""

import os


def live_pids(field, value):
    """Live (non-zombie) pids whose /proc/PID/stat field after the command
    name is `value`: field 1 is the parent pid, field 2 the process group."""
    pids = []
    for ent in os.listdir("/proc"):
        if not ent.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % ent) as fh:
                rest = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(rest[field]) == value and rest[0] != "Z":
            pids.append(int(ent))
    return pids
