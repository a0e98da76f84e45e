namespace Mtl;

/// <summary>
/// What a task predicts; fixes the target type, the output the head must produce, the losses and
/// metrics that fit, and how missing labels are marked (NaN for float targets, -1 for class targets; in dense
/// targets, per pixel or token).
/// </summary>
public enum TaskKind
{
    /// <summary>n real values per example: outputs [N, n], float targets [N, n].</summary>
    Regression,

    /// <summary>One logit per example: outputs [N, 1], float targets 0/1.</summary>
    Binary,

    /// <summary>k logits per example: outputs [N, k], int64 targets in [0, k).</summary>
    Classes,

    /// <summary>k independent logits per example: outputs [N, k], float targets 0/1.</summary>
    Multilabel,

    /// <summary>k logits per pixel: outputs [N, k, H, W], int64 targets [N, H, W] in [0, k), -1 for an unlabelled pixel.</summary>
    PixelClasses,

    /// <summary>c real values per pixel: outputs [N, c, H, W], float targets [N, c, H, W], NaN for an invalid value.</summary>
    PixelRegression,

    /// <summary>k logits per token: outputs [N, T, k], int64 targets [N, T] in [0, k), -1 for padding.</summary>
    TokenClasses,
}
