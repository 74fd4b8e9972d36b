"""A small LeNet-style CNN for MNIST digits; its penultimate layer is the feature space of the metrics.

    (1, 28, 28) -> conv 5x5 -> BN -> ReLU -> max-pool -> (16, 14, 14)
                -> conv 5x5 -> BN -> ReLU -> max-pool -> (32, 7, 7)
                -> linear -> ReLU -> (128,)  features: FID, precision/recall
                -> dropout -> linear -> (10,)  logits: inception score

Kept small on purpose: the evaluator runs it on 2,000 images per request on a 2-core CPU.
"""

import torch
from torch import nn

CLASSIFIER_NAME = "mnist_classifier"


class DigitClassifier(nn.Module):
    def __init__(self, channels: tuple[int, int] = (16, 32), num_features: int = 128, dropout: float = 0.25):
        super().__init__()
        first, second = channels
        self.config = {"channels": [first, second], "num_features": num_features, "dropout": dropout}
        self.convolutions = nn.Sequential(
            nn.Conv2d(1, first, kernel_size=5, padding=2),
            nn.BatchNorm2d(first),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(first, second, kernel_size=5, padding=2),
            nn.BatchNorm2d(second),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.to_features = nn.Sequential(nn.Linear(second * 7 * 7, num_features), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(num_features, 10))

    def features_and_logits(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images (N, 1, 28, 28) in [0, 1] -> penultimate features (N, num_features) and logits (N, 10)."""
        features = self.to_features(self.convolutions(images))
        return features, self.head(features)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features_and_logits(images)[1]
