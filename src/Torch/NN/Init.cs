namespace Mtl.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Weight initialisation (torch.nn.init); every function works in place without grad.</summary>
        public static class init
        {
            public enum FanMode { FanIn, FanOut }

            public enum Nonlinearity { Linear, Sigmoid, Tanh, ReLU, LeakyReLU }

            public static double calculate_gain(Nonlinearity nonlinearity, double param = 0.01) => nonlinearity switch
            {
                Nonlinearity.Linear or Nonlinearity.Sigmoid => 1.0,
                Nonlinearity.Tanh => 5.0 / 3,
                Nonlinearity.ReLU => Math.Sqrt(2.0),
                Nonlinearity.LeakyReLU => Math.Sqrt(2.0 / (1 + param * param)),
                _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity)),
            };

            /// <summary>Fan-in and fan-out of a weight of shape [out, in, kernel...].</summary>
            public static (long fan_in, long fan_out) calculate_fan_in_and_fan_out(Tensor tensor)
            {
                var shape = tensor.shape;
                if (shape.Length < 2)
                {
                    throw new ArgumentException($"fan in and fan out need at least 2 dimensions, got shape {Tensor.FormatShape(shape)}", nameof(tensor));
                }
                long receptive = 1;
                for (var i = 2; i < shape.Length; i++) receptive *= shape[i];
                return (shape[1] * receptive, shape[0] * receptive);
            }

            public static Tensor uniform_(Tensor tensor, double a = 0, double b = 1) => tensor.uniform_(a, b);

            public static Tensor normal_(Tensor tensor, double mean = 0, double std = 1) => tensor.normal_(mean, std);

            public static Tensor constant_(Tensor tensor, double value) => tensor.fill_(value);

            public static Tensor zeros_(Tensor tensor) => tensor.zero_();

            public static Tensor ones_(Tensor tensor) => tensor.fill_(1.0);

            public static Tensor kaiming_uniform_(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyReLU)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                var fan = mode == FanMode.FanIn ? fanIn : fanOut;
                var std = calculate_gain(nonlinearity, a) / Math.Sqrt(fan);
                var bound = Math.Sqrt(3.0) * std;
                return tensor.uniform_(-bound, bound);
            }

            public static Tensor kaiming_normal_(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyReLU)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                var fan = mode == FanMode.FanIn ? fanIn : fanOut;
                return tensor.normal_(0, calculate_gain(nonlinearity, a) / Math.Sqrt(fan));
            }

            public static Tensor xavier_uniform_(Tensor tensor, double gain = 1.0)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                var bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
                return tensor.uniform_(-bound, bound);
            }

            public static Tensor xavier_normal_(Tensor tensor, double gain = 1.0)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                return tensor.normal_(0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)));
            }

            /// <summary>
            /// PyTorch's default for Linear and Conv layers: kaiming_uniform_(a = sqrt(5)) on the weight,
            /// which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias.
            /// </summary>
            internal static void DefaultLinearInit(Tensor weight, Tensor? bias)
            {
                kaiming_uniform_(weight, Math.Sqrt(5));
                if (bias is null) return;
                var (fanIn, _) = calculate_fan_in_and_fan_out(weight);
                var bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
                bias.uniform_(-bound, bound);
            }
        }
    }
}
