// mtl-run -n N [--port P] [--master-addr A] -- command [arguments...]
return Mtl.Launcher.Launch.Run(args, Console.Out, Console.Error);
