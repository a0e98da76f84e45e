namespace Mtl.Torch.Native;

// Op codes shared with src/Torch/Shim/src/*.cpp; the numbering must match the enums there
// (a test compares both lists).

internal enum UnaryOp
{
    Neg, Abs, Exp, Log, Log1p, Expm1, Sqrt, Rsqrt, Sin, Cos, Tan, Tanh, Sigmoid,
    Relu, Silu, Gelu, GeluTanh, Floor, Ceil, Round, Trunc, Sign, Reciprocal, Square,
    Erf, IsNan, IsInf, IsFinite, LogicalNot, BitwiseNot, Log2, Log10, Asin, Acos, Atan,
    Sinh, Cosh, Frac, Softplus, Elu, Selu, Mish, Hardswish, Hardsigmoid, Relu6,
    LogSigmoid,
}

internal enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Maximum, Minimum, Remainder, Fmod, Atan2, Eq, Ne, Lt,
    Le, Gt, Ge, LogicalAnd, LogicalOr, LogicalXor, BitwiseAnd, BitwiseOr, BitwiseXor,
    FloorDivide,
}

internal enum ReduceOp
{
    Sum, Mean, Prod, Amax, Amin, All, Any, LogSumExp, Std, Var, NanSum, NanMean,
}

internal enum ShapeOp
{
    Reshape, View, Permute, Expand, Repeat, BroadcastTo, Tile,
}

internal enum FactoryKind
{
    Empty, Zeros, Ones, Rand, Randn,
}

internal enum RegressionLoss
{
    Mse, L1, SmoothL1, Huber,
}
