DROP DATABASE IF EXISTS registry;
CREATE DATABASE registry CHARSET = utf8;
USE registry;

-- Schema of the TEST installer's harbor-db: the tables and columns of Harbor 1.1's registry
-- database and the rows it starts with, written for the tests. Like Harbor's, it begins by
-- recreating the database (first, as in Harbor's file, so that an import must strip that
-- prologue): load it only into an empty server.

CREATE TABLE access (
  access_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  access_code CHAR(1),
  comment VARCHAR(30)
);
INSERT INTO access (access_code, comment) VALUES
  ('M', 'Management access for project'), ('R', 'Read access for project'),
  ('W', 'Write access for project'), ('D', 'Delete access for project'),
  ('S', 'Search access for project');

CREATE TABLE role (
  role_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  role_mask INT NOT NULL DEFAULT 0,
  role_code VARCHAR(20),
  name VARCHAR(20)
);
INSERT INTO role (role_code, name) VALUES ('MDRWS', 'projectAdmin'), ('RWS', 'developer'), ('RS', 'guest');

-- The admin's password is set by the ui at its first start (empty salt = not set yet).
CREATE TABLE user (
  user_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(32) UNIQUE,
  email VARCHAR(255) UNIQUE,
  password VARCHAR(40) NOT NULL,
  realname VARCHAR(20) NOT NULL,
  comment VARCHAR(30),
  deleted TINYINT(1) NOT NULL DEFAULT 0,
  reset_uuid VARCHAR(40) DEFAULT NULL,
  salt VARCHAR(40) DEFAULT NULL,
  sysadmin_flag TINYINT(1),
  creation_time TIMESTAMP,
  update_time TIMESTAMP
);
INSERT INTO user (username, email, password, realname, comment, deleted, sysadmin_flag, creation_time, update_time)
VALUES
  ('admin', 'admin@example.com', '', 'system admin', 'admin user', 0, 1, NOW(), NOW()),
  ('anonymous', 'anonymous@example.com', '', 'anonymous user', 'anonymous user', 1, 0, NOW(), NOW());

CREATE TABLE project (
  project_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  owner_id INT NOT NULL,
  name VARCHAR(41) NOT NULL UNIQUE,
  creation_time TIMESTAMP,
  update_time TIMESTAMP,
  deleted TINYINT(1) NOT NULL DEFAULT 0,
  public TINYINT(1) NOT NULL DEFAULT 0,
  FOREIGN KEY (owner_id) REFERENCES user (user_id)
);
INSERT INTO project (owner_id, name, creation_time, update_time, public) VALUES (1, 'library', NOW(), NOW(), 1);

CREATE TABLE project_member (
  project_id INT NOT NULL,
  user_id INT NOT NULL,
  role INT NOT NULL,
  creation_time TIMESTAMP,
  update_time TIMESTAMP,
  PRIMARY KEY (project_id, user_id),
  FOREIGN KEY (role) REFERENCES role (role_id),
  FOREIGN KEY (project_id) REFERENCES project (project_id),
  FOREIGN KEY (user_id) REFERENCES user (user_id)
);
INSERT INTO project_member (project_id, user_id, role, creation_time, update_time) VALUES (1, 1, 1, NOW(), NOW());

CREATE TABLE access_log (
  log_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id INT NOT NULL,
  project_id INT NOT NULL,
  repo_name VARCHAR(256),
  repo_tag VARCHAR(128),
  GUID VARCHAR(64),
  operation VARCHAR(20) NOT NULL,
  op_time TIMESTAMP,
  INDEX pid_optime (project_id, op_time),
  FOREIGN KEY (user_id) REFERENCES user (user_id),
  FOREIGN KEY (project_id) REFERENCES project (project_id)
);

CREATE TABLE repository (
  repository_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL UNIQUE,
  project_id INT NOT NULL,
  owner_id INT NOT NULL,
  description TEXT,
  pull_count INT NOT NULL DEFAULT 0,
  star_count INT NOT NULL DEFAULT 0,
  creation_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  update_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
);

CREATE TABLE replication_policy (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(256),
  project_id INT NOT NULL,
  target_id INT NOT NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  description TEXT,
  deleted TINYINT(1) NOT NULL DEFAULT 0,
  cron_str VARCHAR(256),
  start_time TIMESTAMP NULL,
  creation_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  update_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
);

-- target_type: 0 a Harbor, 1 a plain registry.
CREATE TABLE replication_target (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(64),
  url VARCHAR(64),
  username VARCHAR(40),
  password VARCHAR(128),
  target_type TINYINT(1) NOT NULL DEFAULT 0,
  creation_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  update_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
);

CREATE TABLE replication_job (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  status VARCHAR(64) NOT NULL,
  policy_id INT NOT NULL,
  repository VARCHAR(256) NOT NULL,
  operation VARCHAR(64) NOT NULL,
  tags VARCHAR(16384),
  creation_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  update_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  INDEX policy (policy_id),
  INDEX poid_uptime (policy_id, update_time)
);

CREATE TABLE properties (
  k VARCHAR(64) NOT NULL PRIMARY KEY,
  v VARCHAR(128) NOT NULL
);

CREATE TABLE IF NOT EXISTS alembic_version (
  version_num VARCHAR(32) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8;
INSERT INTO alembic_version VALUES ('0.4.0');
