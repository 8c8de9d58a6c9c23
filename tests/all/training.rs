//! The sparse solver against linfa-logistic, the reference it must agree with.

use demarche::dataset::{Dataset, Record};
use demarche::features::{FeatureConfig, FeatureSpace};
use demarche::train::{featurize_all, fit_linfa, fit_sparse, sparse, train, Solver, TrainConfig};
use demarche::Label;

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

/// Fits both solvers on `records` and checks objectives and probabilities.
fn agree(config: &TrainConfig, records: &[&Record]) {
    let space = FeatureSpace::learn(
        &config.analyzer,
        &config.features,
        records.iter().map(|r| r.text.as_str()),
    )
    .unwrap();
    let rows = featurize_all(&space, records);
    let labels: Vec<Label> = records.iter().map(|r| r.label).collect();
    let ones = vec![1.0; records.len()];
    let (ws, bs, cs) = fit_sparse(config, &rows, space.len(), &labels, &ones, None).unwrap();
    let (wl, bl, cl) = fit_linfa(config, &rows, space.len(), &labels).unwrap();
    assert!(cs.converged, "{cs:?}");
    assert!(
        relative(cs.objective, cl.objective) < 1e-9,
        "objectives {} and {}",
        cs.objective,
        cl.objective
    );
    let probabilities = |w: &[f64], b: &[f64; 5], row: &demarche::features::SparseVector| {
        let mut h = *b;
        for (&f, &v) in row.indices.iter().zip(&row.values) {
            for k in 0..5 {
                h[k] += v * w[f as usize * 5 + k];
            }
        }
        let max = h.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = h.iter().map(|x| (x - max).exp()).sum();
        h.map(|x| (x - max).exp() / sum)
    };
    let mut worst = 0.0f64;
    for row in &rows {
        let (p, q) = (probabilities(&ws, &bs, row), probabilities(&wl, &bl, row));
        for k in 0..5 {
            worst = worst.max((p[k] - q[k]).abs());
        }
    }
    assert!(worst < 1e-6, "probabilities differ by {worst}");
}

/// linfa's dense fit on the constructed train split (2,383 sentences; the real
/// sentences would make its dense matrix gigabytes) takes about half a minute:
/// `.ci/run` runs it in release.
#[test]
#[ignore = "slow (linfa's dense fit); run by .ci/run with --ignored"]
fn sparse_solver_finds_linfas_optimum_on_the_constructed_train_split() {
    let data = Dataset::load(&["data/train/constructed"]).unwrap();
    let records: Vec<&Record> = data.records().collect();
    // Both stop at the same tight tolerance, so both reach the one optimum.
    let config = TrainConfig {
        gradient_tolerance: 1e-6,
        max_iterations: 2000,
        ..TrainConfig::default()
    };
    agree(&config, &records);
}

/// A small pseudo-random generator: the tests stay deterministic without a crate.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn sparse_solver_finds_linfas_optimum_on_random_sets() {
    let words = [
        "exige",
        "rejette",
        "menace",
        "propose",
        "réunion",
        "ministre",
        "accord",
        "sanctions",
        "garanties",
        "retrait",
        "troupes",
        "dialogue",
        "aide",
        "refuse",
        "avertit",
        "mardi",
        "Paris",
        "Moscou",
        "plan",
        "paix",
    ];
    for seed in 1..=4u64 {
        let mut rng = Lcg(seed);
        let records: Vec<Record> = (0..60 + 20 * seed as usize)
            .map(|i| {
                let n = 3 + rng.next() as usize % 6;
                let text: Vec<&str> = (0..n)
                    .map(|_| words[rng.next() as usize % words.len()])
                    .collect();
                // Every label present; the rest drawn at random.
                let label = Label::ALL[if i < 5 { i } else { rng.next() as usize % 5 }];
                Record::new(format!("r{seed}-{i}"), text.join(" "), label)
            })
            .collect();
        let refs: Vec<&Record> = records.iter().collect();
        let config = TrainConfig {
            features: FeatureConfig {
                min_count: 1,
                ..FeatureConfig::default()
            },
            l2: [0.01, 0.1, 1.0, 3.0][seed as usize - 1],
            gradient_tolerance: 1e-6,
            max_iterations: 2000,
            ..TrainConfig::default()
        };
        agree(&config, &refs);
    }
}

#[test]
fn a_weight_of_two_counts_like_a_copy() {
    let data = Dataset::load(&["tests/fixtures/tiny.jsonl"])
        .unwrap_or_else(|_| Dataset::load(&["data/test/seeds.jsonl"]).unwrap());
    let records: Vec<&Record> = data.records().collect();
    let config = TrainConfig {
        features: FeatureConfig {
            min_count: 1,
            ..FeatureConfig::default()
        },
        l2: 0.1,
        ..TrainConfig::default()
    };
    let space = FeatureSpace::learn(
        &config.analyzer,
        &config.features,
        records.iter().map(|r| r.text.as_str()),
    )
    .unwrap();
    let rows = featurize_all(&space, &records);
    let labels: Vec<Label> = records.iter().map(|r| r.label).collect();
    let mut weights = vec![1.0; records.len()];
    weights[0] = 2.0;
    let mut doubled_rows = rows.clone();
    doubled_rows.push(rows[0].clone());
    let mut doubled_labels = labels.clone();
    doubled_labels.push(labels[0]);
    let weighted = sparse::Problem::new(&rows, space.len(), &labels, &weights, 0.1);
    let copied = sparse::Problem::new(
        &doubled_rows,
        space.len(),
        &doubled_labels,
        &vec![1.0; rows.len() + 1],
        0.1,
    );
    let params: Vec<f64> = (0..weighted.n_params())
        .map(|i| (i % 7) as f64 * 0.01)
        .collect();
    assert!(relative(weighted.objective(&params), copied.objective(&params)) < 1e-12);
    let (g1, g2) = (weighted.gradient_at(&params), copied.gradient_at(&params));
    for (a, b) in g1.iter().zip(&g2) {
        assert!((a - b).abs() < 1e-9);
    }
}

#[test]
fn convergence_is_recorded_and_senseless_settings_are_refused() {
    let data = Dataset::load(&["data/test/seeds.jsonl"]).unwrap();
    let records: Vec<&Record> = data.records().collect();
    let config = TrainConfig {
        features: FeatureConfig {
            min_count: 1,
            ..FeatureConfig::default()
        },
        ..TrainConfig::default()
    };
    let model = train(&config, &records, &[]).unwrap();
    let c = model.training().convergence.clone().unwrap();
    assert_eq!(c.solver, Solver::Sparse);
    assert!(
        c.converged && c.gradient_norm < 1e-4 && c.iterations > 0,
        "{c:?}"
    );
    let capped = train(
        &TrainConfig {
            max_iterations: 1,
            ..config.clone()
        },
        &records,
        &[],
    )
    .unwrap();
    assert!(!capped.training().convergence.clone().unwrap().converged);
    // Each senseless setting is refused, with an error that names it.
    let refused = [
        (
            TrainConfig {
                l2: 1e300,
                ..config.clone()
            },
            // The setting as it was written, not its 301 digits.
            "l2 1e300 is so large that every term weight is zero",
        ),
        (
            TrainConfig {
                features: FeatureConfig {
                    min_count: 0,
                    ..FeatureConfig::default()
                },
                ..config.clone()
            },
            "min_count",
        ),
        (
            TrainConfig {
                lbfgs_memory: 0,
                ..config.clone()
            },
            "lbfgs_memory",
        ),
        (
            TrainConfig {
                l2: -1e308,
                ..config
            },
            "l2 must be a finite number > 0, not -1e308",
        ),
    ];
    for (senseless, reason) in refused {
        let error = train(&senseless, &records, &[]).unwrap_err();
        assert!(error.to_string().contains(reason), "{error}");
    }
}

/// The L-BFGS memory changes the path, never the optimum: fits keeping 2, 6 and 20
/// pairs reach what 10 pairs (linfa-logistic's) reach, and the file says which ran.
#[test]
fn every_lbfgs_memory_reaches_the_same_optimum() {
    let data = Dataset::load(&["data/test/seeds.jsonl"]).unwrap();
    let records: Vec<&Record> = data.records().collect();
    let config = |lbfgs_memory| TrainConfig {
        lbfgs_memory,
        gradient_tolerance: 1e-6,
        max_iterations: 5000,
        ..TrainConfig::default()
    };
    let reference = train(&config(10), &records, &[]).unwrap();
    let r = reference.training().convergence.clone().unwrap();
    assert!(r.converged, "{r:?}");
    let mut expected = reference.classifier();
    for memory in [2, 6, 20] {
        let model = train(&config(memory), &records, &[]).unwrap();
        let c = model.training().convergence.clone().unwrap();
        // Near 1e-6 a fit may stall where floating point stops the cost from falling;
        // what matters is where it ends.
        assert!(c.lbfgs_memory == memory && c.gradient_norm < 1e-5, "{c:?}");
        assert!(relative(c.objective, r.objective) < 1e-9, "{c:?} {r:?}");
        let mut classifier = model.classifier();
        for record in &records {
            let (p, q) = (
                classifier.predict(&record.text),
                expected.predict(&record.text),
            );
            for k in 0..5 {
                assert!((p.probabilities[k] - q.probabilities[k]).abs() < 1e-5);
            }
        }
    }
}

#[test]
fn a_warm_started_path_reaches_each_cold_fits_optimum() {
    let data = Dataset::load(&["data/test/seeds.jsonl"]).unwrap();
    let records: Vec<&Record> = data.records().collect();
    let configs: Vec<TrainConfig> = [1.0, 0.1, 0.03]
        .iter()
        .map(|&l2| TrainConfig {
            l2,
            features: FeatureConfig {
                min_count: 1,
                ..FeatureConfig::default()
            },
            gradient_tolerance: 1e-8,
            max_iterations: 3000,
            ..TrainConfig::default()
        })
        .collect();
    let path = demarche::train::train_path(&configs, &records).unwrap();
    for (config, warm) in configs.iter().zip(&path) {
        let cold = train(config, &records, &[]).unwrap();
        let (w, c) = (
            warm.training().convergence.clone().unwrap(),
            cold.training().convergence.clone().unwrap(),
        );
        assert!(relative(w.objective, c.objective) < 1e-9, "{w:?} {c:?}");
        let mut wc = warm.classifier();
        let mut cc = cold.classifier();
        for r in &records {
            let (p, q) = (wc.predict(&r.text), cc.predict(&r.text));
            for k in 0..5 {
                assert!((p.probabilities[k] - q.probabilities[k]).abs() < 1e-5);
            }
        }
    }
    // Only the L2 strength may vary along a path.
    let mixed = [
        configs[0].clone(),
        TrainConfig {
            features: FeatureConfig {
                min_count: 2,
                ..FeatureConfig::default()
            },
            ..configs[1].clone()
        },
    ];
    assert!(demarche::train::train_path(&mixed, &records).is_err());
}

/// Sentences that fooled the model trained on constructed text, held to their gold
/// label by the default model trained on `data/train` (release: about 30 s; `.ci/run`
/// runs it with --ignored). « Les États-Unis n'excluent pas de nouvelles sanctions »
/// (a warning) still comes out `none` and is not held here.
#[test]
#[ignore = "slow (a fit on all of data/train); run by .ci/run with --ignored"]
fn real_news_cases_that_fooled_the_model_stay_fixed() {
    let data = Dataset::load(&["data/train"]).unwrap();
    let records: Vec<&Record> = data.records().collect();
    let model = train(&TrainConfig::default(), &records, &[]).unwrap();
    let mut classifier = model.classifier();
    for (sentence, gold) in [
        (
            "Nul ne sait combien de temps durera la trêve",
            Label::NoClaim,
        ),
        ("Pas de commentaire", Label::NoClaim),
        (
            "Nous proposons nos bons offices aux deux parties",
            Label::Offer,
        ),
        ("Les États-Unis proposent une trêve", Label::Offer),
        (
            "Mardi, les manifestants ont demandé la démission du gouvernement.",
            Label::Demand,
        ),
    ] {
        assert_eq!(classifier.label(sentence), gold, "{sentence}");
    }
}

/// With the defaults, every term made only of empty words (function words,
/// auxiliaries, weekdays, months) has a weight of exactly zero for every label, on
/// both solvers, while other terms do not: no label can be decided by them.
#[test]
fn muted_empty_words_weigh_exactly_zero() {
    let data = Dataset::load(&["tests/fixtures/train.jsonl"]).unwrap();
    let records: Vec<&Record> = data.records().collect();
    for solver in [Solver::Sparse, Solver::Linfa] {
        let config = TrainConfig {
            solver,
            ..TrainConfig::default()
        };
        assert!(config.mute_empty_words);
        let model = train(&config, &records, &[]).unwrap();
        let terms = model.space().terms();
        let (mut muted, mut other) = (0, 0);
        for (id, term) in terms.iter().enumerate() {
            let weights = model.weights_of(id as u32);
            if demarche::analyze::is_empty_term(term) {
                muted += 1;
                assert!(weights.iter().all(|&w| w == 0.0), "{term}: {weights:?}");
            } else if weights.iter().any(|&w| w != 0.0) {
                other += 1;
            }
        }
        assert!(
            muted >= 5 && other > muted,
            "{solver}: {muted} muted, {other} other"
        );
    }
}

/// Self-training is, by definition, a second fit on the labeled records plus the
/// unlabeled sentences the first fit labels with at least the probability asked, each
/// with the weight asked: checked against that fit done by hand, with the kept counts
/// the file records, and with settings that keep everything or nothing.
#[test]
fn self_training_refits_on_the_confidently_labeled_sentences() {
    use crate::common::{fixture, fixture_config, CLEAR_SENTENCES};
    use demarche::train::{self_train, SelfTraining};
    let data = Dataset::load(&[fixture()]).unwrap();
    let records: Vec<&Record> = data.records().collect();
    let config = fixture_config();
    let mut unlabeled: Vec<String> = CLEAR_SENTENCES.iter().map(|(s, _)| s.to_string()).collect();
    unlabeled.push("Le temps de la réunion.".to_string());
    // A labeled sentence met again among the unlabeled keeps its gold label only.
    let labeled_again = records[0].text.clone();
    unlabeled.push(labeled_again.clone());
    let setting = |min_probability: f64, weight: f64| SelfTraining {
        min_probability,
        weight,
        ..SelfTraining::new(unlabeled.clone())
    };
    let first = train(&config, &records, &[]).unwrap();
    let mut classifier = first.classifier();
    let predictions: Vec<_> = unlabeled.iter().map(|s| classifier.predict(s)).collect();
    let is_new = |s: &String| *s != labeled_again;
    let confidence = |p: &demarche::Prediction| p.probabilities[p.label.index()];
    // A threshold between the confidences, so that some are kept and some are not.
    let mut confidences: Vec<f64> = unlabeled
        .iter()
        .zip(&predictions)
        .filter(|(s, _)| is_new(s))
        .map(|(_, p)| confidence(p))
        .collect();
    confidences.sort_by(f64::total_cmp);
    let threshold = (confidences[1] + confidences[2]) / 2.0;
    let model = self_train(&config, &records, &[], &setting(threshold, 0.5)).unwrap();
    let by_hand: Vec<Record> = unlabeled
        .iter()
        .zip(&predictions)
        .enumerate()
        .filter(|(_, (s, p))| is_new(s) && confidence(p) >= threshold)
        .map(|(i, (s, p))| {
            let mut r = Record::new(format!("unlabeled-{i:06}"), s.as_str(), p.label);
            r.weight = Some(0.5);
            r
        })
        .collect();
    assert_eq!(by_hand.len(), unlabeled.len() - 3);
    let mut all = records.clone();
    all.extend(by_hand.iter());
    let expected = train(&config, &all, &[]).unwrap();
    for (s, _) in CLEAR_SENTENCES {
        assert_eq!(
            model.classifier().predict(s),
            expected.classifier().predict(s),
            "{s}"
        );
    }
    let info = model.training().self_training.clone().unwrap();
    assert_eq!(info.unlabeled_sentences, unlabeled.len());
    assert_eq!(info.kept.values().sum::<usize>(), by_hand.len());
    for label in Label::ALL {
        let n = by_hand.iter().filter(|r| r.label == label).count();
        assert_eq!(info.kept[&label], n, "{label}");
    }
    // The provenance is the labeled data's, as evaluate checks it.
    assert_eq!(model.training().sentences, records.len());
    assert_eq!(model.training().data_sha256, first.training().data_sha256);
    assert_eq!(model.training().per_label, first.training().per_label);
    // Probability 1 keeps nothing these sentences reach: the second fit is the first.
    let none_kept = self_train(&config, &records, &[], &setting(1.0, 0.5)).unwrap();
    let info = none_kept.training().self_training.clone().unwrap();
    assert_eq!(info.kept.values().sum::<usize>(), 0);
    for (s, _) in CLEAR_SENTENCES {
        assert_eq!(
            none_kept.classifier().predict(s),
            first.classifier().predict(s)
        );
    }
    // Settings that keep or count nothing are refused, naming the setting.
    for (bad, reason) in [
        (
            setting(0.0, 0.5),
            "probability must be a number in (0, 1], not 0",
        ),
        (setting(1.5, 0.5), "not 1.5"),
        (setting(f64::NAN, 0.5), "probability"),
        (
            setting(0.9, 0.0),
            "weight must be a finite number > 0, not 0",
        ),
        (setting(0.9, f64::INFINITY), "weight"),
        (
            SelfTraining::new(Vec::new()),
            "no unlabeled sentence to self-train on",
        ),
    ] {
        let error = self_train(&config, &records, &[], &bad).unwrap_err();
        assert!(error.to_string().contains(reason), "{error}");
    }
    // linfa-logistic takes no weights: refused before any fit.
    let linfa = TrainConfig {
        solver: Solver::Linfa,
        ..config.clone()
    };
    let error = self_train(&linfa, &records, &[], &setting(0.9, 0.5)).unwrap_err();
    assert!(
        error.to_string().contains("takes no sentence weights"),
        "{error}"
    );
}
