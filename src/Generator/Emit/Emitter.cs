using Mtl.Dsl.Model;
using Mtl.Generator.Model;

namespace Mtl.Generator.Emit;

/// <summary>Every file generated for one model: its hint name and text, in a fixed order.</summary>
internal static class Emitter
{
    public static IReadOnlyList<(string HintName, string Text)> Emit(ModelSpec spec)
    {
        var model = spec.Model;
        return
        [
            (SourceFile.HintName(spec, GeneratedNames.Model(model)), ModelEmitter.Emit(spec)),
            (SourceFile.HintName(spec, GeneratedNames.Inputs(model)), TensorsEmitter.Inputs(spec)),
            (SourceFile.HintName(spec, GeneratedNames.Outputs(model)), TensorsEmitter.Outputs(spec)),
            (SourceFile.HintName(spec, GeneratedNames.Targets(model)), TensorsEmitter.Targets(spec)),
            (SourceFile.HintName(spec, GeneratedNames.Example(model)), ExampleEmitter.Emit(spec)),
            (SourceFile.HintName(spec, GeneratedNames.Dataset(model)), DatasetEmitter.Emit(spec)),
            (SourceFile.HintName(spec, GeneratedNames.TaskDatasets(model)), DatasetEmitter.EmitTaskDatasets(spec)),
            (SourceFile.HintName(spec, GeneratedNames.Metrics(model)), MetricsEmitter.Emit(spec)),
            (SourceFile.HintName(spec, GeneratedNames.Prediction(model)), PredictionEmitter.Emit(spec)),
            (SourceFile.HintName(spec, GeneratedNames.Trainer(model)), TrainerEmitter.Emit(spec)),
            (SourceFile.HintName(spec, GeneratedNames.Block(model)), BlockEmitter.Emit(spec)),
        ];
    }
}
