"""The two model families and the calibration step behind the predictive score.

Both estimators read the FeaturePipeline's frame and expose the same three things: `margin` (raw log-odds),
`contributions` (per feature, on the margin scale, summing with the bias to the margin) and `kind`.

- "lightgbm": gradient-boosted trees with defaults for small tabular data: learning rate 0.05, 15 leaves,
  at least 20 rows per leaf (a quarter of the rows, at least 2, on tables under 80 rows: with 20, a table
  under 40 rows could not split at all and every row would get the same margin), 80% row and column
  subsampling, L2 penalty 1.0, at most 1000 trees with the count chosen by early stopping (50 rounds) on a
  stratified 20% split of the training rows; the final trees are then refitted on all training rows with
  that count. Categorical columns use LightGBM's native categorical splits. Contributions are LightGBM's
  SHAP values (`pred_contrib`).
- "logistic": L2-regularised logistic regression on standardised numerics and one-hot categorical levels;
  the penalty is chosen from C in {0.01, 0.1, 1} by 3-fold log loss. Contributions are coefficient times
  standardised value, a categorical column's one-hot terms summed into one contribution.

Calibration is Platt scaling on out-of-fold margins (see training.py): isotonic regression needs more
positives than a small CRM has to avoid step artefacts. Its slope is never negative: a calibration maps
margins to probabilities and must keep their order. Out-of-fold margins that carry no signal (inner models
too small to split predict each inner fold's base rate, which stratification makes anti-correlated with the
held-out labels) would otherwise get a negative slope, and a refitted model that ranks every row right would
then rank every row exactly wrong (a cross-validated AUC of 0.0 on small separable tables). When the best
slope is not positive, the calibration keeps the intercept only: every row gets the base rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split

from plumbline.scoring.predictive.features import FeaturePipeline
from plumbline.scoring.predictive.metrics import log_loss

MIN_DATA_IN_LEAF = 20
LIGHTGBM_PARAMS: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": MIN_DATA_IN_LEAF,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.8,
    "lambda_l2": 1.0,
    "num_threads": 1,
    "deterministic": True,
    "verbosity": -1,
}
LOGISTIC_CS = (0.01, 0.1, 1.0)
MAX_TREES = 1000
EARLY_STOPPING_ROUNDS = 50
FALLBACK_TREES = 200  # too few positives to hold some out for early stopping


def lightgbm_params(rows: int, seed: int) -> dict[str, object]:
    """LIGHTGBM_PARAMS for a table of `rows` rows: the leaf minimum shrinks on tables too small for it."""
    return {**LIGHTGBM_PARAMS, "min_data_in_leaf": min(MIN_DATA_IN_LEAF, max(2, rows // 4)), "seed": seed}


@dataclass
class BoostedTrees:
    """LightGBM with early-stopped tree count."""

    categorical: list[str]
    seed: int = 0
    refit: bool = True
    kind: str = "lightgbm"
    trees: int = 0
    booster: lgb.Booster | None = None

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> BoostedTrees:
        self.trees = self._early_stopped_trees(X, y)
        if self.refit or self.booster is None:
            self.booster = self._train(X, y, self.trees)
        return self

    def margin(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster.predict(X, raw_score=True), dtype=float)

    def contributions(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(per-feature contributions, bias) on the margin scale."""
        shap = np.asarray(self.booster.predict(X, pred_contrib=True), dtype=float)
        return shap[:, :-1], shap[:, -1]

    def _early_stopped_trees(self, X: pd.DataFrame, y: np.ndarray) -> int:
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        if min(positives, negatives) < 25:
            return FALLBACK_TREES
        X_fit, X_stop, y_fit, y_stop = train_test_split(X, y, test_size=0.2, stratify=y, random_state=self.seed)
        fit_set = self._dataset(X_fit, y_fit)
        booster = lgb.train(
            lightgbm_params(len(y_fit), self.seed), fit_set, num_boost_round=MAX_TREES,
            valid_sets=[self._dataset(X_stop, y_stop, reference=fit_set)],
            callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
        )
        if not self.refit:
            self.booster = booster
        return max(int(booster.best_iteration or MAX_TREES), 1)

    def _train(self, X: pd.DataFrame, y: np.ndarray, trees: int) -> lgb.Booster:
        return lgb.train(lightgbm_params(len(y), self.seed), self._dataset(X, y), num_boost_round=trees)

    def _dataset(self, X: pd.DataFrame, y: np.ndarray, reference: lgb.Dataset | None = None) -> lgb.Dataset:
        return lgb.Dataset(
            X, label=y, categorical_feature=self.categorical or "auto", reference=reference, free_raw_data=False
        )


@dataclass
class Logistic:
    """L2 logistic regression over standardised numerics and one-hot categoricals."""

    pipeline: FeaturePipeline
    seed: int = 0
    kind: str = "logistic"
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    groups: list[int] = field(default_factory=list)  # for each design column, the feature it came from
    model: LogisticRegression | None = None

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> Logistic:
        design = self._design(X)
        self.mean = design.mean(axis=0)
        std = design.std(axis=0)
        self.scale = np.where(std > 0, std, 1.0)
        z = (design - self.mean) / self.scale
        c = self._choose_c(z, y)
        self.model = LogisticRegression(C=c, max_iter=2000).fit(z, y)
        return self

    def _choose_c(self, z: np.ndarray, y: np.ndarray) -> float:
        folds = min(3, int(y.sum()), int(len(y) - y.sum()))
        if folds < 2:
            return 0.1
        losses = dict.fromkeys(LOGISTIC_CS, 0.0)
        for fit_idx, held_idx in StratifiedKFold(folds, shuffle=True, random_state=self.seed).split(z, y):
            for c in LOGISTIC_CS:
                model = LogisticRegression(C=c, max_iter=2000).fit(z[fit_idx], y[fit_idx])
                p = model.predict_proba(z[held_idx])[:, 1]
                losses[c] += log_loss(y[held_idx], p)
        return min(LOGISTIC_CS, key=lambda c: (losses[c], c))

    def margin(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.decision_function((self._design(X) - self.mean) / self.scale)

    def contributions(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        terms = (self._design(X) - self.mean) / self.scale * self.model.coef_[0]
        per_feature = np.zeros((len(X), X.shape[1]))
        np.add.at(per_feature.T, np.asarray(self.groups), terms.T)
        return per_feature, np.full(len(X), float(self.model.intercept_[0]))

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        levels = {spec.name: len(spec.levels) for spec in self.pipeline.specs if spec.kind == "categorical"}
        blocks, groups = [], []
        for position, name in enumerate(X.columns):
            values = X[name].to_numpy(dtype=float)
            if name in levels:
                blocks.append(np.eye(levels[name])[values.astype(int)])
                groups.extend([position] * levels[name])
            else:
                blocks.append(values[:, None])
                groups.append(position)
        self.groups = groups
        return np.hstack(blocks)


@dataclass
class PlattCalibrator:
    """p = 1 / (1 + exp(-(slope * margin + intercept))), fitted on out-of-fold margins."""

    slope: float = 1.0
    intercept: float = 0.0

    def fit(self, margin: np.ndarray, y: np.ndarray) -> PlattCalibrator:
        margin, y = np.asarray(margin, dtype=float), np.asarray(y, dtype=float)
        if np.ptp(margin) > 0:
            model = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y)
            self.slope, self.intercept = float(model.coef_[0][0]), float(model.intercept_[0])
            if self.slope > 0:
                return self
        # No order to keep (constant margins) or only a reversed one: the base rate for every row, which is
        # the best fit with a slope held at zero (a negative slope would turn the estimator's ranking around).
        rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        self.slope, self.intercept = 0.0, float(np.log(rate / (1 - rate)))
        return self

    def probability(self, margin: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.slope * np.asarray(margin, dtype=float) + self.intercept)))


def make_estimator(kind: str, pipeline: FeaturePipeline, seed: int, *, refit: bool = True) -> BoostedTrees | Logistic:
    if kind == "lightgbm":
        return BoostedTrees(categorical=pipeline.categorical_features, seed=seed, refit=refit)
    if kind == "logistic":
        return Logistic(pipeline=pipeline, seed=seed)
    raise ValueError(f"Unknown model kind {kind!r}.")
