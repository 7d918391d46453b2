# Sourced by ensure-deps.sh: waits for another package manager (apt, unattended-upgrades, dpkg) to release its locks
# before we call apt-get, saying who holds them, instead of stopping at once with apt's raw "Could not get lock".
# Env: MI_APT_LOCK_WAIT (seconds, default 600); MI_APT_LOCKS (space-separated lock files; the tests point it elsewhere).

apt_lock_files() {
  echo "${MI_APT_LOCKS:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock}"
}

# Prints the pid holding a lock on file $1 (apt and dpkg take POSIX locks, flock(1) takes BSD ones: /proc/locks
# lists both), or nothing when it is free.
apt_lock_holder() {
  local f=$1 dev ino key
  [[ -e $f ]] || return 0
  read -r dev ino < <(stat -c '%d %i' "$f") || return 0
  key=$(printf '%02x:%02x:%d' $((dev >> 8 & 0xfff)) $(((dev & 0xff) | (dev >> 12 & 0xfff00))) "$ino")
  # Fields: id type advisory rw pid dev:inode start end (blocked waiters are marked "->" and shift by one).
  awk -v key="$key" '$2 != "->" && $6 == key { print $5; exit }' /proc/locks
}

# Waits until none of the lock files is held, up to $1 seconds (default MI_APT_LOCK_WAIT or 600). Returns 1, with
# what to do, when they stay held.
wait_for_apt_locks() {
  local limit=${1:-${MI_APT_LOCK_WAIT:-600}} waited=0 said='' f pid cmd
  while :; do
    pid=''
    for f in $(apt_lock_files); do
      pid=$(apt_lock_holder "$f")
      [[ -n $pid ]] && break
    done
    if [[ -z $pid ]]; then
      [[ -n $said ]] && echo "== the package manager lock is free after ${waited}s"
      return 0
    fi
    cmd=$(tr '\0\n' '  ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-120 || true)
    if [[ -z $said ]]; then
      echo "== waiting for another package manager to finish: $f is held by pid $pid (${cmd:-unknown command}); waiting up to ${limit}s"
      said=1
    fi
    if (( waited >= limit )); then
      echo "$f is still held by pid $pid (${cmd:-unknown command}) after ${limit}s." >&2
      echo "Another apt/dpkg is running (often unattended-upgrades after boot): let it finish, then run this again." >&2
      echo "To wait longer: MI_APT_LOCK_WAIT=<seconds>. Never delete the lock files; if pid $pid is stuck, stop it (sudo kill $pid) and run 'sudo dpkg --configure -a'." >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}
