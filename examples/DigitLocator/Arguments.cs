namespace DigitLocator;

/// <summary>The program's command line: sizes of the run, threads, where the data is and where the report goes.</summary>
internal sealed record Arguments(int Train, int Validation, int? Epochs, int Clutter, int Threads, string? Data, string? Report)
{
    /// <summary>The options given, or null (after printing why) when one is not understood.</summary>
    public static Arguments? Parse(IReadOnlyList<string> args)
    {
        var result = new Arguments(12000, 2000, null, 2, 1, null, null);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                return Fail($"{name} needs a value");
            }

            var value = args[++i];
            int Count(int min) => int.TryParse(value, out var n) && n >= min ? n : throw new FormatException($"{name} expects an integer of at least {min}; found '{value}'");
            try
            {
                result = name switch
                {
                    "--train" => result with { Train = Count(1) },
                    "--validation" => result with { Validation = Count(1) },
                    "--epochs" => result with { Epochs = Count(1) },
                    "--clutter" => result with { Clutter = Count(0) },
                    "--threads" => result with { Threads = Count(1) },
                    "--data" => result with { Data = value },
                    "--report" => result with { Report = value },
                    _ => throw new FormatException($"unknown option '{name}': use --train, --validation, --epochs, --clutter, --threads, --data or --report"),
                };
            }
            catch (FormatException e)
            {
                return Fail(e.Message);
            }
        }

        return result;
    }

    /// <summary>data/mnist beside the project, found from the program's folder upwards; null when there is none.</summary>
    public static string? FindData()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "data", "mnist");
            if (Directory.Exists(candidate)) return candidate;
            candidate = Path.Combine(directory.FullName, "examples", "DigitLocator", "data", "mnist");
            if (Directory.Exists(candidate)) return candidate;
        }

        return null;
    }

    private static Arguments? Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return null;
    }
}
