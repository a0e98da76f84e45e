using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mtl.Launcher;

/// <summary>
/// Starts the ranks of a local data-parallel run, as <c>torchrun --nproc-per-node N</c> does: each
/// child gets <c>RANK</c>, <c>WORLD_SIZE</c>, <c>LOCAL_RANK</c>, <c>LOCAL_WORLD_SIZE</c>,
/// <c>MASTER_ADDR</c> and <c>MASTER_PORT</c>; every line it writes is prefixed with
/// <c>[rank r]</c>; when one exits with an error the others are stopped, and the launcher exits
/// with that rank's code.
/// </summary>
public static class Launch
{
    public const string Usage = "usage: mtl-run -n N [--port P] [--master-addr ADDRESS] -- command [arguments...]";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"mtl-run: {e.Message}");
            error.WriteLine(Usage);
            return 2;
        }
        var port = settings.Port ?? FreePort();
        var children = new List<Process>();
        var gate = new object();
        void Write(TextWriter writer, int rank, string? line)
        {
            if (line is null) return;
            lock (gate) writer.WriteLine($"[rank {rank}] {line}");
        }
        try
        {
            for (var rank = 0; rank < settings.Processes; rank++)
            {
                var start = new ProcessStartInfo(settings.Command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var argument in settings.Command.Skip(1)) start.ArgumentList.Add(argument);
                start.Environment["RANK"] = start.Environment["LOCAL_RANK"] = rank.ToString(CultureInfo.InvariantCulture);
                start.Environment["WORLD_SIZE"] = start.Environment["LOCAL_WORLD_SIZE"] = settings.Processes.ToString(CultureInfo.InvariantCulture);
                start.Environment["MASTER_ADDR"] = settings.MasterAddress;
                start.Environment["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
                var child = new Process { StartInfo = start };
                var r = rank;
                child.OutputDataReceived += (_, e) => Write(output, r, e.Data);
                child.ErrorDataReceived += (_, e) => Write(error, r, e.Data);
                if (!child.Start()) throw new InvalidOperationException($"could not start '{settings.Command[0]}' for rank {rank}");
                child.BeginOutputReadLine();
                child.BeginErrorReadLine();
                children.Add(child);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            error.WriteLine($"mtl-run: {e.Message}");
            Stop(children);
            return 127;
        }

        // The first rank to fail decides the exit code; the others are stopped at once.
        var pending = children.Select((c, rank) => (c, rank)).ToList();
        var code = 0;
        while (pending.Count > 0)
        {
            var done = pending.FirstOrDefault(p => p.c.WaitForExit(50));
            if (done.c is null) continue;
            done.c.WaitForExit();
            pending.Remove(done);
            if (done.c.ExitCode != 0 && code == 0)
            {
                code = done.c.ExitCode;
                lock (gate) error.WriteLine($"mtl-run: rank {done.rank} exited with code {code}; stopping the other ranks");
                Stop(pending.Select(p => p.c));
            }
        }
        foreach (var child in children) child.Dispose();
        return code;
    }

    private static void Stop(IEnumerable<Process> processes)
    {
        foreach (var process in processes)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }
        }
    }

    /// <summary>A TCP port free on the loopback interface now (the master's store binds it soon after).</summary>
    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

/// <summary>The launcher's command line.</summary>
public sealed record Settings(int Processes, int? Port, string MasterAddress, IReadOnlyList<string> Command)
{
    public static Settings Parse(IReadOnlyList<string> args)
    {
        int? processes = null, port = null;
        var master = "127.0.0.1";
        var i = 0;
        for (; i < args.Count && args[i] != "--"; i++)
        {
            string Value() => i + 1 < args.Count && args[i + 1] != "--" ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "-n" or "--nproc":
                    processes = Number(Value(), "-n", 1, 1024);
                    break;
                case "--port":
                    port = Number(Value(), "--port", 1, 65535);
                    break;
                case "--master-addr":
                    master = Value();
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (processes is null) throw new ArgumentException("-n (the number of processes) is required");
        if (i >= args.Count - 1) throw new ArgumentException("no command after --");
        return new Settings(processes.Value, port, master, args.Skip(i + 1).ToList());
    }

    private static int Number(string text, string option, int low, int high) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= low && value <= high
            ? value
            : throw new ArgumentException($"{option} is '{text}': it must be a whole number in [{low}, {high}]");
}
