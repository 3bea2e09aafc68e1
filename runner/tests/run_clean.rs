//! `pywebbench clean` removes leftover containers through the Docker API (here the
//! ones of one run, so that other work on the same engine is left alone).

mod common;

use std::collections::HashMap;

use common::*;

/// Create (not start) a container labelled as a run's leftover.
fn leftover(run: &str) -> String {
    with_docker(|docker| async move {
        let body = bollard::models::ContainerCreateBody {
            image: Some("pywebbench/flask-sqlite3:latest".into()),
            labels: Some(HashMap::from([
                ("pywebbench".to_string(), "1".to_string()),
                ("pywebbench.run".to_string(), run.to_string()),
            ])),
            ..Default::default()
        };
        docker
            .create_container(
                None::<bollard::query_parameters::CreateContainerOptions>,
                body,
            )
            .await
            .expect("create a container (build the images first: bash scripts/build-images.sh)")
            .id
    })
}

#[test]
fn clean_removes_the_labelled_leftovers_of_a_run() {
    let a = leftover("clean-test-a");
    let b = leftover("clean-test-b");
    let out = pywebbench()
        .args(["clean", "--run", "clean-test-a"])
        .output()
        .expect("runs");
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("clean: removed 1 containers labelled `pywebbench.run=clean-test-a`"),
        "{text}"
    );
    assert_no_container_of("clean-test-a");
    assert_eq!(
        containers_with_label("pywebbench.run=clean-test-b"),
        vec![b.clone()],
        "another run's container is kept"
    );
    assert_ne!(a, b);
    let out = pywebbench()
        .args(["clean", "--run", "clean-test-b"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", output_text(&out));
    assert_no_container_of("clean-test-b");
}
