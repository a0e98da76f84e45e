namespace Mtl.Training;

/// <summary>
/// The files a run writes each epoch (checkpoint, log, report): their folders are created, and
/// checked to be writable, before the first step, so that a bad path fails at once rather than
/// after an epoch's work.
/// </summary>
internal static class OutputFiles
{
    public static void Prepare(TrainerOptions options)
    {
        foreach (var (option, path) in new[] { (nameof(TrainerOptions.CheckpointPath), options.CheckpointPath), (nameof(TrainerOptions.LogPath), options.LogPath), (nameof(TrainerOptions.ReportPath), options.ReportPath) })
        {
            if (path is null) continue;
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is null) continue;
            try
            {
                Directory.CreateDirectory(folder);
                // A folder that exists but cannot be written to would fail only at the epoch's end.
                var probe = Path.Combine(folder, $".mtl-write-check-{Guid.NewGuid():N}.tmp");
                File.WriteAllBytes(probe, []);
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"{option} '{path}': cannot create or write to its folder '{folder}': {e.Message}", e);
            }
        }
    }
}
