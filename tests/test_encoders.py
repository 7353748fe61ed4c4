import numpy as np
import torch

from ramen_edu.encoders import Encoder, mean_pool


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert torch.allclose(mean_pool(hidden, mask), torch.tensor([[2.0, 2.0]]))


def test_tiny_encoder_unit_norm_and_deterministic():
    a = Encoder.tiny_random(seed=3)
    b = Encoder.tiny_random(seed=3)
    texts = ["Clade", "Crown group", "a much longer title about cladistics and phylogeny"]
    ea, eb = a.embed(texts, progress=False), b.embed(texts, progress=False)
    assert ea.shape == (3, a.dim) and ea.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ea, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(ea, eb)


def test_embed_length_sorting_keeps_input_order():
    enc = Encoder.tiny_random(seed=0)
    texts = ["x " * n + "end" for n in (9, 1, 5, 0, 7)]
    batched = enc.embed(texts, batch_size=2, progress=False)
    one_by_one = np.vstack([enc.embed([t], progress=False) for t in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_forward_has_gradients_and_matches_embed():
    enc = Encoder.tiny_random(seed=1).eval()  # no dropout, so both paths compute the same
    out = enc.encode_batch(["Clade", "Monophyly"])
    out.sum().backward()
    assert any(p.grad is not None for p in enc.parameters())
    np.testing.assert_allclose(out.detach().numpy(), enc.embed(["Clade", "Monophyly"], progress=False),
                               atol=1e-5)


def test_encode_is_inference_like_sentence_transformers():
    enc = Encoder.tiny_random(seed=1)
    out = enc.encode(["Clade", "Monophyly"])
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (2, enc.dim)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(out, enc.embed(["Clade", "Monophyly"], progress=False), atol=1e-6)


def test_max_length_truncates():
    enc = Encoder.tiny_random(max_length=8)
    assert enc.tokenize(["word " * 50])["input_ids"].shape[1] == 8


def test_save_load_roundtrip(tmp_path):
    enc = Encoder.tiny_random(seed=2, max_length=16)
    enc.save(tmp_path / "enc")
    back = Encoder.load(tmp_path / "enc", device="cpu")
    assert back.max_length == 16
    texts = ["Cladistics", "Common descent"]
    np.testing.assert_allclose(back.embed(texts, progress=False), enc.embed(texts, progress=False), atol=1e-6)


def test_load_rejects_foreign_directory(tmp_path):
    try:
        Encoder.load(tmp_path)
    except FileNotFoundError as err:
        assert "ramen_encoder.json" in str(err)
    else:
        raise AssertionError("expected FileNotFoundError")


def test_bundled_minilm_embeds_meaningfully():
    enc = Encoder.from_pretrained(device="cpu")
    e = enc.embed(["Clade", "Cladistics", "Railway station"], progress=False)
    assert e.shape == (3, 384)
    # related biology titles are closer to each other than to an unrelated one
    assert e[0] @ e[1] > e[0] @ e[2]
