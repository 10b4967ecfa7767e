package io.labsos.statusstream.tls.control;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Tells Liberty that files of its configuration changed, through its public FileNotificationMBean:
 * the server polls none of them ({@code <config updateTrigger="mbean"/>}, and the keystore's own
 * {@code updateTrigger="mbean"}), so it reads a change when told, and only then.
 */
final class LibertyFiles {

  private static final String FILE_NOTIFICATION =
      "WebSphere:service=com.ibm.ws.kernel.filemonitor.FileNotificationMBean";

  private LibertyFiles() {}

  /** A file written anew or replaced: the include, which Liberty then reads with the rest. */
  static void created(Path file) throws JMException {
    notifyLiberty(List.of(file.toString()), List.of(), List.of());
  }

  /** A file whose content changed: the keystore, which Liberty then loads again. */
  static void modified(Path file) throws JMException {
    notifyLiberty(List.of(), List.of(file.toString()), List.of());
  }

  static void deleted(Path file) throws JMException {
    notifyLiberty(List.of(), List.of(), List.of(file.toString()));
  }

  private static void notifyLiberty(
      Collection<String> created, Collection<String> modified, Collection<String> deleted)
      throws JMException {
    ManagementFactory.getPlatformMBeanServer()
        .invoke(
            new ObjectName(FILE_NOTIFICATION),
            "notifyFileChanges",
            new Object[] {created, modified, deleted},
            new String[] {
              Collection.class.getName(), Collection.class.getName(), Collection.class.getName()
            });
  }
}
