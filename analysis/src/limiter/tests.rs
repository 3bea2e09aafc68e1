//! The limiter's rules on hand-made usage and sampler rows.

use super::*;

/// A 2-CPU host, pinned profile: server on one CPU (2 workers → capacity 1),
/// generator on the other; everything idle unless set.
fn pinned() -> Usage {
    Usage {
        seconds: 10.0,
        server_cores: 0.3,
        generator_cores: 0.2,
        proxy_cores: None,
        others_cores: 0.0,
        iowait_cores: 0.0,
        steal_cores: 0.0,
        host_busy_cores: 0.5,
        host_cpus: 2,
        generator_cpus: 1,
        generator_set_busy: 0.2,
        server_cpus: 1,
        server_set_busy: 0.3,
        server_capacity: 1.0,
    }
}

/// A 2-CPU host, no pinning (2 workers → capacity 2).
fn shared() -> Usage {
    Usage {
        generator_cpus: 2,
        server_cpus: 2,
        server_capacity: 2.0,
        ..pinned()
    }
}

#[test]
fn idle_cells_are_not_cpu_bound() {
    assert_eq!(classify(&pinned()), (Limiter::NotCpuBound, false));
    assert_eq!(classify(&shared()), (Limiter::NotCpuBound, false));
}

#[test]
fn a_starved_generator_is_named_and_the_busy_loop_flags_it() {
    // The generator's CPU is full, half of it a busy loop: generator-cpu, disturbed.
    let u = Usage {
        generator_cores: 0.5,
        others_cores: 0.5,
        generator_set_busy: 1.0,
        server_set_busy: 0.4,
        server_cores: 0.4,
        ..pinned()
    };
    assert_eq!(classify(&u), (Limiter::GeneratorCpu, true));
}

#[test]
fn set_saturation_threshold_edges() {
    let at = Usage {
        generator_set_busy: SET_SATURATED,
        ..pinned()
    };
    assert_eq!(classify(&at).0, Limiter::GeneratorCpu);
    let below = Usage {
        generator_set_busy: SET_SATURATED - 0.001,
        ..pinned()
    };
    assert_eq!(classify(&below).0, Limiter::NotCpuBound);
    let srv = Usage {
        server_set_busy: SET_SATURATED,
        ..pinned()
    };
    assert_eq!(classify(&srv).0, Limiter::ServerCpu);
}

#[test]
fn own_share_threshold_edges() {
    // Capacity 2 (2 workers, 2 CPUs): 1.7 cores = 85 % → server-cpu; 1.69 → not.
    let at = Usage {
        server_cores: 1.7,
        ..shared()
    };
    assert_eq!(classify(&at).0, Limiter::ServerCpu);
    let below = Usage {
        server_cores: 1.69,
        ..shared()
    };
    assert_eq!(classify(&below).0, Limiter::NotCpuBound);
    // One worker on 2 CPUs: capacity 1, so 0.9 core is the GIL's ceiling.
    let one_worker = Usage {
        server_cores: 0.9,
        server_capacity: 1.0,
        ..shared()
    };
    assert_eq!(classify(&one_worker).0, Limiter::ServerCpu);
    let generator = Usage {
        generator_cores: 0.85,
        ..pinned()
    };
    assert_eq!(classify(&generator).0, Limiter::GeneratorCpu);
}

#[test]
fn shared_saturated_cpus_go_to_the_largest_consumer() {
    let server = Usage {
        server_cores: 1.2,
        generator_cores: 0.5,
        proxy_cores: Some(0.2),
        generator_set_busy: 0.95,
        server_set_busy: 0.95,
        ..shared()
    };
    assert_eq!(classify(&server), (Limiter::ServerCpu, false));
    // The client side is generator + proxy.
    let client = Usage {
        server_cores: 0.8,
        generator_cores: 0.5,
        proxy_cores: Some(0.5),
        ..server
    };
    assert_eq!(classify(&client).0, Limiter::GeneratorCpu);
    let host = Usage {
        server_cores: 0.5,
        generator_cores: 0.3,
        proxy_cores: None,
        others_cores: 1.1,
        ..server
    };
    assert_eq!(classify(&host), (Limiter::HostContended, true));
}

#[test]
fn both_pinned_sides_saturated() {
    let u = Usage {
        generator_set_busy: 1.0,
        server_set_busy: 1.0,
        server_cores: 0.95,
        generator_cores: 0.9,
        ..pinned()
    };
    assert_eq!(classify(&u).0, Limiter::ServerCpu);
    let busy_loops = Usage {
        server_cores: 0.3,
        generator_cores: 0.3,
        others_cores: 1.4,
        ..u
    };
    assert_eq!(classify(&busy_loops), (Limiter::HostContended, true));
    // Foreign load on one side only (0.7 of the generator's CPU, 0.2 of the
    // server's): the generator was starved from outside; not host-contended.
    let one_side = Usage {
        server_cores: 0.8,
        generator_cores: 0.3,
        others_cores: 0.9,
        ..u
    };
    assert_eq!(classify(&one_side), (Limiter::GeneratorCpu, true));
    let server_side = Usage {
        server_cores: 0.3,
        generator_cores: 0.8,
        ..one_side
    };
    assert_eq!(classify(&server_side), (Limiter::ServerCpu, true));
    // The proxy is the benchmark's own path: the server's CPU full of server +
    // proxy, the generator's of a busy loop → the generator is starved, not the host.
    let proxy = Usage {
        server_cores: 0.6,
        proxy_cores: Some(0.4),
        generator_cores: 0.3,
        others_cores: 0.7,
        ..u
    };
    assert!(proxy.server_set_foreign() < DISTURBED_CORES);
    assert_eq!(classify(&proxy), (Limiter::GeneratorCpu, true));
}

#[test]
fn io_wait_edges() {
    let at = Usage {
        iowait_cores: IOWAIT_CORES,
        ..pinned()
    };
    assert_eq!(classify(&at).0, Limiter::IoWait);
    let below = Usage {
        iowait_cores: IOWAIT_CORES - 0.01,
        ..pinned()
    };
    assert_eq!(classify(&below).0, Limiter::NotCpuBound);
    // A saturated CPU outranks I/O wait.
    let cpu = Usage {
        server_set_busy: 1.0,
        ..at
    };
    assert_eq!(classify(&cpu).0, Limiter::ServerCpu);
}

#[test]
fn disturbed_edges_count_steal() {
    let at = Usage {
        others_cores: 0.15,
        steal_cores: 0.10,
        ..pinned()
    };
    assert!(classify(&at).1);
    let below = Usage {
        others_cores: 0.24,
        ..pinned()
    };
    assert!(!classify(&below).1);
}

fn row(interval: i64) -> ResourceRecord {
    ResourceRecord {
        stack: "s".into(),
        repetition: 1,
        phase: "hello".into(),
        interval_ns: Some(interval),
        server_cpu_ns: Some(interval / 2),
        generator_cpu_ns: Some(interval / 4),
        proxy_cpu_ns: None,
        host_busy_ns: Some(interval),
        host_iowait_ns: Some(0),
        host_steal_ns: Some(0),
        host_idle_ns: Some(interval),
        host_cpus: Some(2),
        generator_cpus: Some(1),
        generator_cpus_busy_ns: Some(interval / 4),
        server_cpus: Some(1),
        server_cpus_busy_ns: Some(interval / 2),
        ..ResourceRecord::default()
    }
}

#[test]
fn usage_sums_rows_and_floors_others() {
    let rows = [row(500_000_000), row(250_000_000)];
    let refs: Vec<&ResourceRecord> = rows.iter().collect();
    let u = usage(&refs, Some(2)).expect("usage");
    assert!((u.seconds - 0.75).abs() < 1e-12);
    assert!((u.server_cores - 0.5).abs() < 1e-9);
    assert!((u.generator_cores - 0.25).abs() < 1e-9);
    assert!((u.others_cores - 0.25).abs() < 1e-9);
    assert_eq!(u.proxy_cores, None);
    assert!((u.server_capacity - 1.0).abs() < 1e-12);
    // More server + generator than host busy (tick rounding): others floor at 0.
    let mut r = row(1_000_000_000);
    r.host_busy_ns = Some(100_000_000);
    assert_eq!(usage(&[&r], None).expect("usage").others_cores, 0.0);
    // Docker stats rows carry no breakdown.
    let docker = ResourceRecord::default();
    assert_eq!(usage(&[&docker], None), None);
}

#[test]
fn most_common_breaks_ties_and_ignores_unknown() {
    use Limiter::*;
    assert_eq!(most_common(&[]), Unknown);
    assert_eq!(most_common(&[Unknown, Unknown]), Unknown);
    assert_eq!(most_common(&[Unknown, Unknown, ServerCpu]), ServerCpu);
    assert_eq!(most_common(&[ServerCpu, GeneratorCpu]), GeneratorCpu);
    assert_eq!(
        most_common(&[ServerCpu, ServerCpu, GeneratorCpu]),
        ServerCpu
    );
    assert_eq!(
        serde_json::to_string(&NotCpuBound).expect("json"),
        "\"not-cpu-bound\""
    );
}
