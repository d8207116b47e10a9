#!/bin/bash
# A Slurm cluster on this machine for the cluster tests: Debian's munged, slurmctld and one
# slurmd per logical node, all on 127.0.0.1 with their own ports. There is no systemd here, so
# this script starts and stops the daemons itself.
#
#   scripts/slurm_local.sh up DIR [NODES]   # NODES logical nodes n1..nNODES (default 3)
#   scripts/slurm_local.sh down DIR
#   export SLURM_CONF=DIR/slurm.conf        # then sbatch, srun, squeue, sinfo, scancel
#
# Ports: RLFLEET_SLURM_PORT (default 16817) for slurmctld, the next one for slurmd's default,
# and RLFLEET_SLURM_PORT + 3 + i for node ni. `down` also stops munged when `up` started it.
#
# Why several nodes: a heterogeneous job never starts on a one-node cluster (the scheduler holds
# the node for component 0), and only the backfill scheduler starts heterogeneous jobs
# (bf_interval=1 makes it look every second). Needs root and the packages slurmctld, slurmd,
# munge and slurm-client (scripts/setup.sh installs them).
set -euo pipefail

command=${1:?usage: slurm_local.sh up DIR [NODES] | down DIR}
dir=${2:?DIR missing}

case "$command" in
  up)
    nodes=${3:-3}
    port=${RLFLEET_SLURM_PORT:-16817}
    mkdir -p "$dir/state" "$dir/log"
    dir=$(cd "$dir" && pwd)
    # munged: its run directory must exist and belong to munge; one daemon serves every node.
    if ! munge -n > /dev/null 2>&1; then
      [ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
      chown munge:munge /etc/munge/munge.key
      chmod 0400 /etc/munge/munge.key
      mkdir -p /run/munge
      chown munge:munge /run/munge
      chmod 0755 /run/munge
      runuser -u munge -- /usr/sbin/munged
      touch "$dir/munged.started"
    fi
    host=$(hostname)
    {
      echo "ClusterName=rlfleet"
      echo "SlurmctldHost=localhost(127.0.0.1)"
      echo "SlurmctldPort=$port"
      echo "SlurmdPort=$((port + 1))"
      echo "SlurmUser=root"
      echo "SlurmdUser=root"
      echo "AuthType=auth/munge"
      echo "StateSaveLocation=$dir/state"
      echo "SlurmdSpoolDir=$dir/spool/%n"
      echo "SlurmctldPidFile=$dir/slurmctld.pid"
      echo "SlurmdPidFile=$dir/slurmd-%n.pid"
      echo "SlurmctldLogFile=$dir/log/slurmctld.log"
      echo "SlurmdLogFile=$dir/log/slurmd-%n.log"
      echo "ProctrackType=proctrack/linuxproc"
      echo "TaskPlugin=task/none"
      echo "MpiDefault=none"
      echo "SchedulerType=sched/backfill"
      echo "SchedulerParameters=bf_interval=1"
      echo "SelectType=select/cons_tres"
      echo "SelectTypeParameters=CR_CPU"
      echo "ReturnToService=2"
      echo "JobCompType=jobcomp/none"
      echo "AccountingStorageType=accounting_storage/none"
      for i in $(seq 1 "$nodes"); do
        echo "NodeName=n$i NodeHostname=$host NodeAddr=127.0.0.1 Port=$((port + 3 + i)) CPUs=$(nproc) State=UNKNOWN"
      done
      echo "PartitionName=debug Nodes=n[1-$nodes] Default=YES MaxTime=INFINITE State=UP"
    } > "$dir/slurm.conf"
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld
    for i in $(seq 1 "$nodes"); do
      mkdir -p "$dir/spool/n$i"
      slurmd -N "n$i"
    done
    # Ready when every node is idle (up to 30 s).
    for _ in $(seq 1 60); do
      if [ "$(sinfo -h -N -t idle -o %N 2>/dev/null | wc -l)" -ge "$nodes" ]; then exit 0; fi
      sleep 0.5
    done
    echo "slurm_local.sh: the nodes did not become idle; see $dir/log/" >&2
    exit 1
    ;;
  down)
    [ -d "$dir" ] || exit 0
    export SLURM_CONF="$dir/slurm.conf"
    scancel --full --user="$(id -un)" 2>/dev/null || true
    pids=()
    for pid_file in "$dir"/slurmd-*.pid "$dir"/slurmctld.pid; do
      [ -f "$pid_file" ] && pids+=("$(cat "$pid_file")")
    done
    if [ -f "$dir/munged.started" ] && [ -f /run/munge/munged.pid ]; then
      pids+=("$(cat /run/munge/munged.pid)")
      rm -f "$dir/munged.started"
    fi
    [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
    # Until they are gone (up to 10 s), so that nothing outlives `down`.
    for _ in $(seq 1 100); do
      alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      [ "$alive" = 0 ] && break
      sleep 0.1
    done
    exit 0
    ;;
  *)
    echo "slurm_local.sh: unknown command '$command' (up or down)" >&2
    exit 2
    ;;
esac
