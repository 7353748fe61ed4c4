"""The baselines of book/05: the two-stage GCN, AugGT, and the gain analyses, on hand cases and a
tiny synthetic world whose test documents' true anchors are known."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from ramen_edu.baselines.analysis import (find_tail_cases, fn_by_quantile, gain_reachability, graph_reachable,
                                          true_label_ranks, zero_shot_labels, zero_shot_scores)
from ramen_edu.baselines.augmented_truth import augment_ground_truth, augmented_dataset
from ramen_edu.baselines.two_stage import AnchorAggregator, cap_links, gcn_overrides, train_two_stage
from ramen_edu.cli import main
from ramen_edu.data.dataset import AnchorSet, XCDataset
from ramen_edu.retrieval import Retrieved
from ramen_edu.training.config import TrainConfig

torch.set_num_threads(1)


def csr(rows):
    return sp.csr_matrix(np.asarray(rows, dtype=np.float32))


# --------------------------------------------------------------------------------------------
# the two-stage GCN
# --------------------------------------------------------------------------------------------
def test_cap_links_keeps_at_most_k_true_anchors_padded():
    edges = csr([[1, 0, 1, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0]])
    links = cap_links(edges, 3, seed=0)
    assert links.shape == (3, 3) and links.dtype == np.int64
    assert set(links[0]) <= {0, 2, 3, 4} and len(set(links[0])) == 3  # 3 of the row's 4, no repeats
    assert list(links[1]) == [-1, -1, -1] and list(links[2]) == [1, -1, -1]
    assert list(cap_links(edges, 5, seed=0)[0]) == [0, 2, 3, 4, -1]
    # the choice is seeded: other seeds pick other subsets of a long row, always the same for one seed
    picks = {tuple(cap_links(edges, 2, seed=s)[0]) for s in range(20)}
    assert len(picks) > 1 and tuple(cap_links(edges, 2, seed=3)[0]) == tuple(cap_links(edges, 2, seed=3)[0])
    with pytest.raises(ValueError, match="k=0"):
        cap_links(edges, 0, seed=0)


def test_aggregator_mixes_linked_anchors_and_leaves_unlinked_documents_alone():
    torch.manual_seed(0)
    layer = AnchorAggregator(4, 3)
    layer.bank.copy_(torch.eye(4)[:3])
    e = torch.nn.functional.normalize(torch.tensor([[1.0, 1, 0, 0], [0, 0, 1.0, 1]]), dim=1)
    z = layer(e, torch.tensor([[0, 1], [-1, -1]]))
    assert torch.allclose(z.norm(dim=1), torch.ones(2), atol=1e-6)
    assert torch.allclose(z[1], e[1])  # no links: z = e
    # equal similarity to both anchors: attention splits evenly, z ∝ e + ½(½a0 + ½a1)
    want = torch.nn.functional.normalize(e[0] + 0.25 * torch.tensor([1.0, 1, 0, 0]), dim=0)
    assert torch.allclose(z[0], want, atol=1e-6)
    mean = AnchorAggregator(4, 3, mode="mean")
    mean.bank.copy_(torch.eye(4)[:3])
    zm = mean(e[:1], torch.tensor([[0, 2]]))
    assert torch.allclose(zm[0], torch.nn.functional.normalize(e[0] + 0.25 * torch.tensor([1.0, 0, 1, 0]), dim=0))
    # the layer learns: its weight and the document embedding both get gradients, the bank none
    e_leaf = e.clone().requires_grad_(True)
    layer(e_leaf, torch.tensor([[0, 2], [1, -1]]))[:, 0].sum().backward()
    assert layer.weight.grad.abs().sum() > 0 and e_leaf.grad.abs().sum() > 0 and not layer.bank.requires_grad
    with pytest.raises(ValueError, match="aggregation"):
        AnchorAggregator(4, 3, mode="max")


@pytest.fixture(scope="module")
def trained_gcn(tiny_world):
    cfg = dataclasses.replace(TrainConfig.from_recipe("synthetic", "smoke"), **gcn_overrides("concept"), seed=0)
    return train_two_stage(tiny_world, cfg, anchor_set="concept", k=3, progress=False)


def test_oracle_linker_recovers_planted_labels_better_than_a_random_linker(trained_gcn, tiny_world):
    """The tiny world's test documents carry their true concepts (hidden): an oracle first stage
    must find more of their labels than uniform random anchors, and no worse than none."""
    scores = {lk: trained_gcn.with_linker(lk, tiny_world).evaluate(tiny_world) for lk in ("oracle", "random", "learned")}
    assert scores["oracle"]["R@5"] > scores["random"]["R@5"] + 0.05
    assert scores["oracle"]["P@1"] > scores["random"]["P@1"]
    assert scores["learned"]["R@5"] > scores["random"]["R@5"]
    assert "GCN" in trained_gcn.record["method"] and trained_gcn.record["two_stage"]["k"] == 3


def test_the_oracle_reads_only_the_hidden_test_anchors(trained_gcn, tiny_world):
    oracle = trained_gcn.with_linker("oracle", tiny_world)
    hidden = tiny_world.anchors["concept"].test_doc_anchor
    emb = trained_gcn.encoder.embed(tiny_world.test_texts[:5], progress=False)
    links = oracle.link(tiny_world.test_texts[:5], emb)
    for row, got in enumerate(links):
        assert set(got[got >= 0]) <= set(hidden[row].indices)
    assert list(oracle.link(["an unseen text"], emb[:1])[0]) == [-1, -1, -1]  # no links, plain embedding
    bare = dataclasses.replace(tiny_world, anchors={"concept": dataclasses.replace(
        tiny_world.anchors["concept"], test_doc_anchor=None)})
    with pytest.raises(ValueError, match="hidden anchors"):
        trained_gcn.with_linker("oracle", bare)
    with pytest.raises(ValueError, match="linker"):
        trained_gcn.with_linker("psychic", tiny_world)



def test_linker_twins_share_the_bank_and_indexes_and_refuse_another_models(trained_gcn, tiny_world):
    """with_linker's twins reuse the anchor bank, label embeddings and label index (the same
    objects, embedded once); sharing with a model over another encoder or layer is refused."""
    learned = trained_gcn.with_linker("learned")
    learned.retrieve(tiny_world.test_texts[:3])  # builds the learned twin's anchor index
    twin = learned.with_linker("random")
    assert twin.anchor_bank() is learned.anchor_bank() is trained_gcn.anchor_bank()
    assert twin.index is learned.index and twin.label_embeddings() is trained_gcn.label_embeddings()
    assert twin.with_linker("learned").retrieve(tiny_world.test_texts[:3]).ids.tolist() == \
        learned.retrieve(tiny_world.test_texts[:3]).ids.tolist()
    from ramen_edu.baselines.two_stage import TwoStageModel
    from ramen_edu.encoders import Encoder

    other = TwoStageModel(Encoder.tiny_random(seed=1), trained_gcn.label_texts, trained_gcn.head,
                          anchor_texts=trained_gcn.anchor_texts, anchor_set="concept", k=3)
    with pytest.raises(ValueError, match="share_anchors: both models"):
        other.share_anchors(trained_gcn)
    with pytest.raises(ValueError, match="share_labels: both models"):
        other.share_labels(trained_gcn)


def test_build_head_gets_what_it_builds_from_explicitly(tiny_world):
    """The head hook runs inside Trainer.__init__: it receives the encoder, dataset, pools and
    device in a HeadContext, and the head it returns is trained (in the optimizer)."""
    from ramen_edu.training.trainer import HeadContext, Trainer

    seen = []

    class WithHead(Trainer):
        def build_head(self, context):
            seen.append(context)
            return torch.nn.Linear(context.encoder.dim, 1).to(context.device)

    cfg = dataclasses.replace(TrainConfig.from_recipe("synthetic", "smoke"), **gcn_overrides("concept"), seed=0)
    with WithHead(tiny_world, cfg, progress=False) as trainer:
        (context,) = seen
        assert isinstance(context, HeadContext) and context.encoder is trainer.encoder
        assert context.dataset is tiny_world and context.pools is trainer.pools
        assert set(context.pools) == {"doc", "label", "anchor:concept"}
        assert context.device == trainer.info.device
        in_optimizer = {id(p) for group in trainer.optimizer.param_groups for p in group["params"]}
        assert {id(p) for p in trainer.head.parameters()} <= in_optimizer

def test_hidden_test_anchors_survive_the_xc_folder_and_are_checked(tiny_world, tmp_path):
    from ramen_edu.data.xc_format import read_xc_dataset, write_xc_dataset

    back = read_xc_dataset(write_xc_dataset(tiny_world, tmp_path / "w"))
    for name, a in tiny_world.anchors.items():
        assert (back.anchors[name].test_doc_anchor != a.test_doc_anchor).nnz == 0
    # the synthetic hidden edges are the concepts of the test labels, exactly
    concept = tiny_world.anchors["concept"].test_doc_anchor
    want = sp.csr_matrix((np.ones(tiny_world.test_y.nnz), (np.repeat(np.arange(tiny_world.n_test),
                         np.diff(tiny_world.test_y.indptr)), tiny_world.label_concept[tiny_world.test_y.indices])),
                         shape=concept.shape)
    assert ((want > 0) != (concept > 0)).nnz == 0
    a = tiny_world.anchors["topic"]
    with pytest.raises(ValueError, match="test_doc_anchor has shape"):
        dataclasses.replace(tiny_world, anchors={"topic": AnchorSet("topic", a.texts, a.doc_anchor, a.label_anchor,
                                                                    test_doc_anchor=a.test_doc_anchor[:5])})


# --------------------------------------------------------------------------------------------
# AugGT
# --------------------------------------------------------------------------------------------
# 3 documents, 4 labels, 3 anchors: doc 0 – anchor 0, doc 1 – anchors 0 and 1, doc 2 – anchor 2
Y = csr([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
XA = csr([[1, 0, 0], [1, 1, 0], [0, 0, 1]])
ZA = csr([[1, 0, 0], [1, 1, 0], [1, 0, 0], [0, 0, 1]])  # labels 0–2 on anchor 0, label 1 also on 1


def test_auggt_through_labels_matches_the_hand_built_matrix():
    got, stats = augment_ground_truth(Y, XA, ZA, via="labels")
    # doc 0 shares anchor 0 with labels 0, 1, 2; doc 1 shares 0/1 with 0, 1, 2; doc 2 shares 2 with 3
    want = csr([[1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 1]])
    assert (got != want).nnz == 0 and got.dtype == np.float32
    assert stats["added"] == 4 and stats["pairs_before"] == 3 and stats["documents_gaining"] == 2


def test_auggt_through_documents_and_the_cap():
    got, _ = augment_ground_truth(Y, XA, via="documents")
    # docs 0 and 1 share anchor 0, so each gets the other's label; doc 2 shares nothing
    assert (got != csr([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1]])).nnz == 0
    capped, stats = augment_ground_truth(Y, XA, ZA, via="labels", max_added=1)
    # doc 1: label 1 shares 2 anchors (0, 1) but is its own; candidates 0 and 2 tie at 1 shared
    # anchor and 0 train docs each... label 0 has 1 training doc, label 2 none: 0 wins the tie
    assert (capped != csr([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1]])).nnz == 0
    assert stats["candidates_before_cap"] == 4 and stats["added"] == 2 and stats["added_per_document_max"] == 1
    assert augment_ground_truth(Y, XA, ZA, max_added=0)[1]["added"] == 0
    with pytest.raises(ValueError, match="via="):
        augment_ground_truth(Y, XA, ZA, via="walks")
    with pytest.raises(ValueError, match="label_anchor"):
        augment_ground_truth(Y, XA, via="labels")
    with pytest.raises(ValueError, match="doc_anchor has 2 rows"):
        augment_ground_truth(Y, XA[:2], ZA)


def test_augmented_dataset_changes_only_the_training_truth(tiny_world):
    aug, stats = augmented_dataset(tiny_world, "concept", max_added=2)
    assert aug.train_y.nnz > tiny_world.train_y.nnz and stats["anchor_sets"] == ["concept"]
    assert ((aug.train_y > 0) - (aug.train_y > 0).multiply(tiny_world.train_y > 0)).nnz == stats["added"]
    assert (aug.test_y != tiny_world.test_y).nnz == 0 and aug.label_texts == tiny_world.label_texts
    assert stats["added_per_document_max"] <= 2


# --------------------------------------------------------------------------------------------
# the analyses
# --------------------------------------------------------------------------------------------
def hand_dataset():
    """2 test documents, 4 labels; label 3 has no training document (zero-shot)."""
    return XCDataset(name="hand", train_texts=["a", "b", "c"], test_texts=["x", "y"],
                     label_texts=["l0", "l1", "l2", "l3"],
                     train_y=csr([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0]]),
                     test_y=csr([[0, 1, 0, 1], [1, 0, 1, 0]]), filter_pairs=np.array([[1, 3]]))


def test_true_label_ranks_count_better_labels_and_skip_filtered_ones():
    ds = hand_dataset()
    q = np.array([[1.0, 0], [0, 1.0]], dtype=np.float32)
    lab = np.array([[0.9, 0.1], [0.5, 0.5], [0.1, 0.9], [0.2, 0.95]], dtype=np.float32)
    # doc 0 scores 0.9, 0.5, 0.1, 0.2: label 1 ranks 2, label 3 ranks 3
    # doc 1 scores 0.1, 0.5, 0.9, 0.95 but label 3 is filtered: label 0 ranks 3, label 2 ranks 1
    ranks = true_label_ranks(q, lab, ds.test_y, exclude=ds.filter_matrix())
    assert list(ranks) == [2, 3, 3, 1]
    assert list(true_label_ranks(q, lab, ds.test_y)) == [2, 3, 4, 2]


def test_zero_shot_split_scores_only_unseen_labels():
    ds = hand_dataset()
    assert list(zero_shot_labels(ds)) == [False, False, False, True]
    q = np.array([[1.0, 0], [0, 1.0]], dtype=np.float32)
    lab = np.eye(4, 2, dtype=np.float32)
    rows, per_doc = zero_shot_scores(q, lab, ds, ks=(1,))
    assert list(rows) == [0] and per_doc["P@1"].tolist() == [1.0]  # only doc 0 has label 3; one candidate


def test_fn_by_quantile_counts_missed_labels_of_each_bin():
    ds = hand_dataset()
    bins = np.array([1, 1, 0, 0])  # labels 2, 3 tail; 0, 1 head
    # doc 0 predicts [0, 2, 1]: its head label 1 only at rank 3, its tail label 3 never
    # doc 1 predicts [3 (filtered), 2, 1]: tail label 2 first once 3 is removed, head label 0 never
    top = Retrieved(np.array([[0, 2, 1], [3, 2, 1]]), np.array([[3, 2, 1], [3, 2, 1]], dtype=np.float32))
    fn = fn_by_quantile(top, ds, bins, ks=(1, 3))
    assert fn[0] == {"FN@1": pytest.approx(0.5), "FN@3": pytest.approx(0.5)}  # tail: doc 0 misses, doc 1 finds
    assert fn[1] == {"FN@1": pytest.approx(1.0), "FN@3": pytest.approx(0.5)}  # head: doc 0 finds at 3, doc 1 never
    # a bin gets no slots of its own: label 2 in doc 0's list does not count for doc 0 (not its label)


def test_tail_cases_need_the_graph_and_a_gain():
    test_y = csr([[1, 1, 0], [0, 0, 1]])  # pairs (0,0), (0,1), (1,2)
    reach = graph_reachable(csr([[1, 0], [0, 1]]), csr([[1, 0], [0, 0]]), csr([[1, 1, 0], [0, 0, 0]]))
    assert reach.toarray().tolist() == [[1, 1, 0], [0, 0, 0]]  # doc 1's anchor has no training document
    ranks = {"No graph": np.array([[40, 9, 50], [40, 11, 50]]), "RAMEN": np.array([[2, 9, 1], [2, 11, 1]])}
    cases = find_tail_cases(ranks, test_y, reach, np.array([5, 1, 1]))
    assert [(c["doc"], c["label"]) for c in cases] == [(0, 0)]  # (0,1) gains nothing, (1,2) is unreachable
    assert cases[0]["gain"] == pytest.approx(20.0) and cases[0]["ranks"]["RAMEN"] == pytest.approx(2.0)


# --------------------------------------------------------------------------------------------
# ramen-edu baselines
# --------------------------------------------------------------------------------------------
TRAINED = ("RAMEN", "No graph", "AugGT", "GCN (learned linker)", "GCN (oracle linker)")


def test_baselines_command_end_to_end_resumes_and_rejects_bad_rows(tiny_world, tmp_path, capsys):
    from ramen_edu.data.xc_format import write_xc_dataset

    world = write_xc_dataset(tiny_world, tmp_path / "tiny")
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"dataset": str(world), "profile": "smoke", "encoder": "tiny-random", "epochs": 1}))
    out = tmp_path / "out"
    args = ["baselines", "--config", str(config), "--seeds", "1", "--out", str(out), "--gcn-set", "concept", "--quiet",
            "--rows", *TRAINED]  # the reference rows: test_baselines_reference_rows_reuse_the_ablation_runner
    assert main(args) == 0
    summary = json.loads((out / "baselines.json").read_text())
    assert set(summary["rows"]) == {"RAMEN", "No graph", "AugGT", "GCN (learned linker)", "GCN (oracle linker)"}
    assert summary["trained_this_invocation"] == 4  # the two GCN rows share one training run
    for row in ("ramen", "gcn-oracle-linker"):
        rec = json.loads((out / "runs" / row / "seed0" / "run.json").read_text())
        assert set(rec["analysis"]["fn_by_quantile"]) and rec["test_metrics"]["P@1"] >= 0
    assert summary["rows"]["AugGT"]["augmentation"]["max_added"] == 2
    assert "| quantile |" in (out / "baselines.md").read_text()
    assert main(args) == 0  # everything done: nothing retrained
    assert json.loads((out / "baselines.json").read_text())["trained_this_invocation"] == 0
    from ramen_edu.metrics import QUANTILE_RULE
    assert summary["quantile_rule"] == QUANTILE_RULE and rec["analysis"]["quantile_rule"] == QUANTILE_RULE
    # a run scored before the rule was recorded is named as such, and the command says so
    old_run = out / "runs" / "ramen" / "seed0" / "run.json"
    rec = json.loads(old_run.read_text())
    del rec["analysis"]["quantile_rule"]
    old_run.write_text(json.dumps(rec))
    capsys.readouterr()
    assert main([a for a in args if a != "--quiet"]) == 0
    stale = json.loads((out / "baselines.json").read_text())["quantile_rule"]
    assert "ties split by label id" in stale and QUANTILE_RULE in stale
    assert "retrain into another --out" in capsys.readouterr().out
    with pytest.raises(SystemExit) as err:
        main(["baselines", "--config", str(config), "--rows", "OAK"])
    assert err.value.code == 2 and "unknown row(s) ['OAK']" in capsys.readouterr().err
    with pytest.raises(SystemExit) as err:
        main(["baselines", "--config", str(config), "--gcn-set", "links", "--out", str(out)])
    assert err.value.code == 2 and "--gcn-set 'links': tiny-world has anchor sets topic, concept" in capsys.readouterr().err


def test_gain_reachability_compares_the_wins_with_the_base_rate():
    test_y = csr([[1, 1, 0], [0, 0, 1], [1, 0, 1]])  # pairs (0,0) (0,1) (1,2) (2,0) (2,2)
    reach = csr([[1, 0, 0], [0, 0, 1], [0, 0, 0]])    # (0,0) and (1,2) reachable: base rate 2/5
    ranks = {"No graph": np.array([[50, 5, 40, 8, 30], [50, 5, 40, 8, 30]]),
             "RAMEN": np.array([[5, 5, 4, 8, 3], [5, 5, 40, 8, 30]])}
    got = gain_reachability(ranks, test_y, reach, np.ones(3), low="No graph", high="RAMEN")
    assert got["base_rate"] == pytest.approx(0.4)
    # seed 0 wins on (0,0), (1,2), (2,2): two of three reachable; seed 1 only on (0,0)
    assert got["per_seed"] == pytest.approx([2 / 3, 1.0]) and got["n_cases"] == [3, 1]


def test_baselines_reference_rows_reuse_the_ablation_runner(tiny_world, tmp_path, monkeypatch):
    """"Untrained" and "ST fine-tune" come first, made by ablate.reference_model, scored by
    score_model like every row, compared both ways, and skipped when resumed."""
    pytest.importorskip("sentence_transformers", reason="the [st] extra is not installed")
    pytest.importorskip("datasets", reason="the [st] extra (datasets) is not installed")
    from ramen_edu.experiments import baselines as compare
    from ramen_edu.data.xc_format import write_xc_dataset
    from ramen_edu.encoders import Encoder

    world = write_xc_dataset(tiny_world, tmp_path / "tiny")
    encoder = Encoder.tiny_random(seed=0).save(tmp_path / "tiny-bert")  # a model folder ST fine-tunes fast
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"dataset": str(world), "profile": "smoke", "encoder": str(encoder), "epochs": 1}))
    out = tmp_path / "out"
    args = ["baselines", "--config", str(config), "--seeds", "2", "--out", str(out), "--gcn-set", "concept",
            "--quiet", "--rows", "No graph", "ST fine-tune", "untrained"]
    assert main(args) == 0
    summary = json.loads((out / "baselines.json").read_text())
    assert list(summary["rows"]) == ["Untrained", "ST fine-tune", "No graph"]
    st = json.loads((out / "runs" / "st-fine-tune" / "seed1" / "run.json").read_text())
    assert st["kind"] == "sentence-transformers fine-tune" and st["st_config"]["model"] == str(encoder)
    assert st["baseline"] == {"method": "ST fine-tune"} and set(st["analysis"]["fn_by_quantile"])
    assert json.loads((out / "runs" / "untrained" / "seed1" / "run.json").read_text())["model_reused_from_seed"] == 0
    for base in ("Untrained", "ST fine-tune"):
        entry = summary["comparison"][f"vs {base}"]["methods"]["No graph"]["metrics"]["P@1"]
        assert entry["seed_delta"]["n_pairs"] == 2 and "verdict" in entry["verdict"]
    assert "## Against ST fine-tune" in (out / "baselines.md").read_text()

    def no_model(*args, **kwargs):
        raise AssertionError("a finished reference run was made again")

    monkeypatch.setattr(compare, "reference_model", no_model)
    assert main(args) == 0
    assert json.loads((out / "baselines.json").read_text())["trained_this_invocation"] == 0
